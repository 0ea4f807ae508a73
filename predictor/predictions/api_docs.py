"""The predictions API's OpenAPI documentation, one ``extend_schema`` per operation
(``api.py`` applies them): summaries, descriptions, every answer with its schema, and
worked examples (``api_examples``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from predictor.predictions.api_examples import (
    BATCH,
    BATCH_CSV,
    BATCH_JOB,
    BATCH_ROWS,
    BATCH_ROWS_SCHEMA,
    CSV_BODY,
    CSV_RESPONSE,
    NOT_SCORED,
    OUTCOME_CSV,
    OUTCOME_REPORT,
    OUTCOME_ROWS,
    OUTCOME_ROWS_SCHEMA,
    PREDICTION,
    PREDICTION_BAD_REQUEST,
    STUDENT,
    TABLE_BAD_REQUEST,
)
from predictor.predictions.serializers import (
    BatchJobSerializer,
    BatchSerializer,
    OutcomeInputSerializer,
    OutcomeReportSerializer,
    PredictionFilterSerializer,
    PredictionInputSerializer,
    PredictionSerializer,
)
from studentperf.api.schema import (
    NO_MODEL,
    TOO_LARGE,
    bad_request,
    error_example,
    error_response,
    not_found_response,
    request_examples,
)

prediction_list_create_post = extend_schema(
    request=PredictionInputSerializer,
    responses={201: PredictionSerializer, 400: PREDICTION_BAD_REQUEST, 503: NO_MODEL},
    examples=[
        *request_examples("A student", STUDENT),
        OpenApiExample("Scored", value=PREDICTION, response_only=True, status_codes=["201"]),
    ],
    summary="Predict a student's math score",
    description="Scores one student and stores the prediction. With a token it is "
    "yours: fetch it again by `id`, find it by `reference`, record the real score "
    "later. Without one it belongs to no one and cannot be fetched again. Invalid "
    "input is refused (400) and stored as a rejected attempt.",
)

prediction_list_create_get = extend_schema(
    parameters=[PredictionFilterSerializer],
    responses={
        200: PredictionSerializer(many=True),
        400: bad_request(
            "a bad filter or page: each offending parameter with its messages",
            OpenApiExample(
                "Bad filter",
                value={
                    "status": ['"done" is not one of: ok, rejected, failed'],
                    "page_size": ["must be at most 500"],
                },
                response_only=True,
            ),
            name="FilterBadRequest",
        ),
        404: error_response(
            "a page past the end",
            error_example("No such page", "page 9 does not exist: there are 3 pages", "not_found"),
        ),
    },
    examples=[
        OpenApiExample(
            "One page",
            value=PREDICTION,  # drf-spectacular lists it in a page
            response_only=True,
            status_codes=["200"],
        )
    ],
    summary="List your predictions, newest first, filtered",
    description="Your predictions (staff: everyone's), newest first, `page_size` per "
    "page (default 50, up to 500). Filters combine; an empty one (`?status=`) is left "
    "out. Anonymous callers see none.",
)

prediction_detail_get = extend_schema(
    summary="Get one of your predictions, in full",
    description="Yours (staff: anyone's); another person's, or one scored without a "
    "token, answers 404 as if it did not exist.",
    responses={200: PredictionSerializer, 404: not_found_response("prediction")},
    examples=[OpenApiExample("Scored", value=PREDICTION, response_only=True)],
)

prediction_outcome_post = extend_schema(
    request=OutcomeInputSerializer,
    responses={
        200: PredictionSerializer,
        400: bad_request(
            "a bad score (`FieldErrors`), or a body that cannot be read (`Error`)",
            OpenApiExample(
                "Out of range",
                value={"actual_math_score": ["must be between 0 and 100"]},
                response_only=True,
            ),
        ),
        404: not_found_response("prediction"),
        409: NOT_SCORED,
    },
    examples=[
        *request_examples("A real score", {"actual_math_score": 70}),
        OpenApiExample(
            "Recorded",
            value={
                **PREDICTION,
                "actual_math_score": 70,
                "actual_recorded_at": "2026-12-09T10:00:00Z",
            },
            response_only=True,
            status_codes=["200"],
        ),
    ],
    summary="Record a prediction's actual math score",
)


def table_upload(component: str, what: str):
    """A multipart upload of a table of ``what``: the file and, of a workbook, its sheet."""
    return inline_serializer(
        component,
        {
            "file": serializers.FileField(
                help_text=f"a table of {what}: CSV, tab-separated text or .xlsx"
            ),
            "sheet": serializers.CharField(
                required=False,
                allow_blank=True,
                help_text="of a workbook: the sheet (blank or left out: the first)",
            ),
        },
    )


prediction_batch_create_post = extend_schema(
    request={
        "text/csv": CSV_BODY,
        "multipart/form-data": table_upload("BatchUpload", "students"),
        "application/json": BATCH_ROWS_SCHEMA,
    },
    responses={
        (201, "application/json"): BatchSerializer,
        (201, "text/csv"): CSV_RESPONSE,
        (202, "application/json"): OpenApiResponse(
            BatchJobSerializer,
            description="a job: past BATCH_SYNC_MAX_ROWS rows, or sent with "
            "`Prefer: respond-async`; its URL is in `Location`",
        ),
        # Errors are JSON whatever the Accept header (JSONOrCSVAPIView).
        (400, "application/json"): TABLE_BAD_REQUEST,
        (413, "application/json"): TOO_LARGE,
        (503, "application/json"): NO_MODEL,
    },
    parameters=[
        OpenApiParameter(
            "Prefer",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="`respond-async`: answer 202 with a job at once, whatever the size",
        )
    ],
    examples=[
        OpenApiExample("CSV", value=BATCH_CSV, media_type="text/csv", request_only=True),
        *request_examples("A file", {"file": BATCH_CSV}, ["multipart/form-data"]),
        OpenApiExample(
            "JSON list", value=BATCH_ROWS, media_type="application/json", request_only=True
        ),
        OpenApiExample(
            "Scored",
            value=BATCH,
            media_type="application/json",
            response_only=True,
            status_codes=["201"],
        ),
        OpenApiExample(
            "Queued as a job",
            value={**BATCH_JOB, "status": "queued", "started_at": None, "rows_done": 0},
            media_type="application/json",
            response_only=True,
            status_codes=["202"],
        ),
    ],
    summary="Score many students (CSV or a JSON list); every row is stored",
    description="Same headers and parsing as `train_model` (Kaggle headers, `;` or `,`, "
    "BOM). Invalid rows come back with status `rejected` and an error; they never fail "
    "the others. Answers in CSV with `Accept: text/csv`, else JSON. Past "
    "BATCH_SYNC_MAX_ROWS rows (default 5,000), or with `Prefer: respond-async`, the upload "
    "becomes a job scored by a worker: 202 with the job's URL in `Location`.",
)

prediction_batch_job_detail_get = extend_schema(
    responses={200: BatchJobSerializer, 404: not_found_response("job", BATCH_JOB["id"])},
    examples=[OpenApiExample("Running", value=BATCH_JOB, response_only=True)],
    summary="Get one of your batch jobs: status and progress",
)

prediction_batch_detail_get = extend_schema(
    responses={
        (200, "application/json"): BatchSerializer,
        (200, "text/csv"): CSV_RESPONSE,
        (400, "application/json"): bad_request(
            "an unknown `?format=`",
            OpenApiExample(
                "Unknown format",
                value={"format": ["must be one of json, csv"]},
                response_only=True,
            ),
            name="FormatBadRequest",
        ),
        (404, "application/json"): not_found_response("batch", BATCH["batch_id"]),
    },
    examples=[
        OpenApiExample("Scored", value=BATCH, media_type="application/json", response_only=True)
    ],
    summary="Get one of your batches, as JSON or CSV",
)

prediction_outcome_upload_post = extend_schema(
    request={
        "text/csv": CSV_BODY,
        "multipart/form-data": table_upload("OutcomeUpload", "scores"),
        "application/json": OUTCOME_ROWS_SCHEMA,
    },
    responses={200: OutcomeReportSerializer, 400: TABLE_BAD_REQUEST, 413: TOO_LARGE},
    parameters=[
        OpenApiParameter(
            "on_ambiguous",
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            enum=["newest", "refuse"],
            description="a reference matching several of your scored predictions: "
            "`newest` (default) records on the newest and says so; `refuse` reports it",
        )
    ],
    examples=[
        OpenApiExample(
            "JSON list", value=OUTCOME_ROWS, media_type="application/json", request_only=True
        ),
        OpenApiExample(
            "CSV",
            value=OUTCOME_CSV,
            media_type="text/csv",
            request_only=True,
        ),
        *request_examples("A file", {"file": OUTCOME_CSV}, ["multipart/form-data"]),
        OpenApiExample("Report", value=OUTCOME_REPORT, response_only=True, status_codes=["200"]),
    ],
    summary="Record many actual math scores; a report says what each row did",
    description="Columns `actual_math_score` (or `math score`) and `prediction_id` (or "
    "`id`) and/or `reference`. A reference that matches several of your scored "
    "predictions (a class uploaded twice) is recorded on the newest, and the row's "
    "message says so; with `on_ambiguous=refuse` it is reported instead. A row whose "
    "score is blank is `skipped`.",
)
