"""The predictions API (DRF): score, list, fetch, batch, outcomes. Views parse, call one
service or selector, and serialize."""

from __future__ import annotations

import logging
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import (
    NotFound,
    ParseError,
    UnsupportedMediaType,
)
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from ml import schema
from predictor.errors import ServiceError
from predictor.models import Prediction
from predictor.predictions import batches, exports, jobs, selectors, services, uploads
from predictor.predictions.serializers import (
    BatchJobSerializer,
    BatchSerializer,
    OutcomeInputSerializer,
    OutcomeReportSerializer,
    OutcomeRowInputSerializer,
    PredictionFilterSerializer,
    PredictionInputSerializer,
    PredictionSerializer,
)
from studentperf.api.exceptions import ErrorSerializer
from studentperf.api.pagination import PredictionPagination
from studentperf.api.parsers import CSVParser, StrictJSONParser
from studentperf.api.renderers import CSVRenderer

logger = logging.getLogger("django.request")


def _json_sent_as_a_form(request, payload) -> bool:
    """``curl -d '{"gender": ...}'`` without a Content-Type: one form key that is JSON."""
    return (
        request.content_type.startswith("application/x-www-form-urlencoded")
        and len(payload) == 1
        and next(iter(payload)).lstrip().startswith("{")
    )


def _session_key(request) -> str:
    session = getattr(request, "session", None)
    return session.session_key or "" if session is not None else ""


class PredictionListCreate(generics.GenericAPIView):
    """Score a student (POST) or list your predictions (GET, newest first)."""

    serializer_class = PredictionSerializer
    pagination_class = PredictionPagination

    def get_queryset(self):
        return selectors.prediction_list(
            user=self.request.user, session_key=_session_key(self.request)
        )

    @extend_schema(
        request=PredictionInputSerializer,
        responses={
            201: PredictionSerializer,
            400: OpenApiResponse(description="invalid input: {field: [messages]}"),
            503: OpenApiResponse(ErrorSerializer, description="no model in production"),
        },
        summary="Predict a student's math score",
    )
    def post(self, request):
        uploads.check_length(request.META)
        if not request.content_type and int(request.META.get("CONTENT_LENGTH") or 0) > 0:
            # DRF reads a body without a Content-Type as no data at all, which would answer
            # that all seven fields are missing.
            raise UnsupportedMediaType(
                "", detail='the body has no Content-Type; send "Content-Type: application/json"'
            )
        try:
            payload = request.data
            if _json_sent_as_a_form(request, payload):
                raise ParseError(
                    "the body is JSON sent as a form (curl -d sends a form unless told "
                    'otherwise): add the header "Content-Type: application/json"'
                )
        except ParseError as exc:
            services.prediction_reject(
                errors={"body": str(exc.detail)},
                channel=Prediction.Channel.API,
                owner=request.user,
                session_key=_session_key(request),
            )
            raise
        serializer = PredictionInputSerializer(data=payload)
        if not serializer.is_valid():
            services.prediction_reject(
                errors=serializer.errors,
                channel=Prediction.Channel.API,
                raw_payload=_jsonable(payload),
                owner=request.user,
                session_key=_session_key(request),
            )
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        prediction = services.prediction_create(
            features=serializer.features(),
            channel=Prediction.Channel.API,
            raw_payload=_jsonable(payload),
            owner=request.user,
            session_key=_session_key(request),
            reference=serializer.validated_data["reference"],
        )
        return Response(PredictionSerializer(prediction).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[PredictionFilterSerializer],
        responses={
            200: PredictionSerializer(many=True),
            400: OpenApiResponse(description="a bad filter: {parameter: [messages]}"),
        },
        summary="Your predictions, newest first, filtered",
    )
    def get(self, request):
        filters = PredictionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.prediction_list(
            user=request.user, session_key=_session_key(request), **filters.validated_data
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="One of your predictions, in full",
        responses={200: PredictionSerializer, 404: OpenApiResponse(description="not yours")},
    )
)
class PredictionDetail(generics.RetrieveAPIView):
    """One prediction: yours, or any for staff; another person's is a 404."""

    serializer_class = PredictionSerializer

    def get_queryset(self):
        return selectors.prediction_list(
            user=self.request.user, session_key=_session_key(self.request)
        )


class PredictionOutcome(APIView):
    """Record the real math score of one of your scored predictions."""

    @extend_schema(
        request=OutcomeInputSerializer,
        responses={
            200: PredictionSerializer,
            400: OpenApiResponse(description="bad score: {actual_math_score: [message]}"),
            404: OpenApiResponse(description="no such prediction among yours"),
            409: OpenApiResponse(ErrorSerializer, description="the prediction was not scored"),
        },
        summary="Record a prediction's actual math score",
    )
    def post(self, request, pk: int):
        prediction = selectors.prediction_get(
            pk=pk, user=request.user, session_key=_session_key(request)
        )
        if prediction is None:
            raise NotFound("no such prediction")
        serializer = OutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prediction = services.prediction_record_outcome(
            prediction=prediction, actual_math_score=serializer.validated_data["actual_math_score"]
        )
        return Response(PredictionSerializer(prediction).data)


def _upload_frame(request):
    """The request's table: a multipart ``file``, a ``text/csv`` body or a JSON list."""
    upload = _upload(request)
    return upload.frame(), upload.source_name


def _upload(request) -> uploads.Upload:
    """The request's table, counted but not parsed: a multipart ``file``, a ``text/csv``
    body (read in pieces, never whole) or a JSON list."""
    uploads.check_length(request.META)
    uploads.check_job_size(int(request.META.get("CONTENT_LENGTH") or 0))
    if request.content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ServiceError("send the file (CSV, TSV or .xlsx) as a form field named 'file'")
        return uploads.file_upload(upload, sheet=str(request.data.get("sheet", "")))
    if request.content_type.startswith("text/csv"):
        return uploads.stream_upload(request.stream)
    return uploads.records_upload(request.data)


class JSONOrCSVAPIView(APIView):
    """JSON by default, CSV for ``Accept: text/csv``; errors are always JSON."""

    parser_classes = [StrictJSONParser, CSVParser, MultiPartParser]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and isinstance(renderer, CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _batch_response(request, result: batches.BatchResult, code: int) -> Response:
    if isinstance(request.accepted_renderer, CSVRenderer):
        text = exports.csv_text(exports.batch_rows(result.batch, result.predictions))
        disposition = f'attachment; filename="batch-{result.batch.pk}.csv"'
        return Response(text, status=code, headers={"Content-Disposition": disposition})
    return Response(BatchSerializer(result).data, status=code)


BATCH_CSV_EXAMPLE = (
    "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    "reading score,writing score,reference\n"
    "female,group B,bachelor's degree,standard,none,72,74,7B-01\n"
)
CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="the input's columns, then predicted_math_score, interval_low, "
    "interval_high, status and error, one line per input row in order",
)


class PredictionBatchCreate(JSONOrCSVAPIView):
    """Score a whole table of students at once."""

    @extend_schema(
        request={
            "text/csv": OpenApiTypes.STR,
            "multipart/form-data": inline_serializer(
                "BatchUpload",
                {
                    "file": serializers.FileField(
                        help_text="a table of students: CSV, tab-separated text or .xlsx"
                    ),
                    "sheet": serializers.CharField(
                        required=False, help_text="of a workbook: the sheet (default the first)"
                    ),
                },
            ),
            "application/json": PredictionInputSerializer(many=True),
        },
        responses={
            (201, "application/json"): BatchSerializer,
            (201, "text/csv"): CSV_RESPONSE,
            (202, "application/json"): OpenApiResponse(
                BatchJobSerializer,
                description="a job: past BATCH_SYNC_MAX_ROWS rows, or sent with "
                "`Prefer: respond-async`; its URL is in `Location`",
            ),
            400: OpenApiResponse(ErrorSerializer, description="unreadable table or column missing"),
            413: OpenApiResponse(
                ErrorSerializer, description="over BATCH_JOB_MAX_BYTES or BATCH_JOB_MAX_ROWS"
            ),
            503: OpenApiResponse(ErrorSerializer, description="no model in production"),
        },
        parameters=[
            OpenApiParameter(
                "Prefer",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`respond-async`: answer 202 with a job at once, whatever the size",
            )
        ],
        examples=[OpenApiExample("CSV", value=BATCH_CSV_EXAMPLE, media_type="text/csv")],
        summary="Score many students (CSV or a JSON list); every row is stored",
        description="Same headers and parsing as `train_model` (Kaggle headers, `;` or `,`, "
        "BOM). Invalid rows come back with status `rejected` and an error; they never fail "
        "the others. Answers in CSV with `Accept: text/csv`, else JSON. Past "
        "BATCH_SYNC_MAX_ROWS rows (default 5,000), or with `Prefer: respond-async`, the upload "
        "becomes a job scored by a worker: 202 with the job's URL in `Location`.",
    )
    def post(self, request):
        upload = _upload(request)
        if upload.as_job or uploads.prefers_async(request.META):
            job = jobs.batch_job_from_upload(
                upload=upload, owner=request.user, session_key=_session_key(request)
            )
            location = reverse("api-batch-job", kwargs={"job_id": job.pk})
            return Response(
                BatchJobSerializer(job, context={"request": request}).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": location, "Preference-Applied": "respond-async"},
            )
        result = batches.prediction_create_batch(
            frame=upload.frame(),
            owner=request.user,
            session_key=_session_key(request),
            source_name=upload.source_name,
        )
        return _batch_response(request, result, status.HTTP_201_CREATED)


class PredictionBatchJobDetail(APIView):
    """A batch job of yours: status, progress, rate, errors so far and, once done, its batch."""

    renderer_classes = [JSONRenderer]

    @extend_schema(
        responses={
            200: BatchJobSerializer,
            404: OpenApiResponse(description="no such job among yours"),
        },
        summary="One of your batch jobs: status and progress",
    )
    def get(self, request, job_id: uuid.UUID):
        job = selectors.batch_job_get(
            job_id=job_id, user=request.user, session_key=_session_key(request)
        )
        if job is None:
            raise NotFound("no such job")
        return Response(BatchJobSerializer(job, context={"request": request}).data)


class PredictionBatchDetail(JSONOrCSVAPIView):
    """A batch you scored, again: its counts and rows (or its CSV)."""

    @extend_schema(
        responses={
            (200, "application/json"): BatchSerializer,
            (200, "text/csv"): CSV_RESPONSE,
            404: OpenApiResponse(description="no such batch among yours"),
        },
        summary="One of your batches, as JSON or CSV",
    )
    def get(self, request, batch_id: uuid.UUID):
        batch = selectors.batch_get(
            batch_id=batch_id, user=request.user, session_key=_session_key(request)
        )
        if batch is None:
            raise NotFound("no such batch")
        result = batches.BatchResult(batch, list(selectors.batch_predictions(batch=batch)))
        return _batch_response(request, result, status.HTTP_200_OK)


class PredictionOutcomeUpload(APIView):
    """Record many real scores at once, matched by prediction id or reference."""

    parser_classes = [StrictJSONParser, CSVParser, MultiPartParser]

    @extend_schema(
        request={
            "text/csv": OpenApiTypes.STR,
            "multipart/form-data": inline_serializer(
                "OutcomeUpload",
                {
                    "file": serializers.FileField(
                        help_text="a table of scores: CSV, tab-separated text or .xlsx"
                    ),
                    "sheet": serializers.CharField(
                        required=False, help_text="of a workbook: the sheet (default the first)"
                    ),
                },
            ),
            "application/json": OutcomeRowInputSerializer(many=True),
        },
        responses={
            200: OutcomeReportSerializer,
            400: OpenApiResponse(ErrorSerializer, description="unreadable table or column missing"),
            413: OpenApiResponse(ErrorSerializer, description="over BATCH_MAX_BYTES/_ROWS"),
        },
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
        summary="Record many actual math scores; a report says what each row did",
        description="Columns `actual_math_score` (or `math score`) and `prediction_id` (or "
        "`id`) and/or `reference`. A reference that matches several of your scored "
        "predictions (a class uploaded twice) is recorded on the newest, and the row's "
        "message says so; with `on_ambiguous=refuse` it is reported instead. A row whose "
        "score is blank is `skipped`.",
    )
    def post(self, request):
        on_ambiguous = request.query_params.get("on_ambiguous", "newest")
        if on_ambiguous not in ("newest", "refuse"):
            raise ServiceError(
                schema.choice_error(schema.shown(on_ambiguous), ["newest", "refuse"])
            )
        frame, _ = _upload_frame(request)
        rows = uploads.outcome_rows(frame)
        report = services.prediction_record_outcomes(
            rows=rows,
            user=request.user,
            session_key=_session_key(request),
            on_ambiguous=on_ambiguous,
        )
        data = {
            "recorded": report.recorded,
            "skipped": report.skipped,
            "errors": report.errors,
            "rows": report.rows,
        }
        return Response(OutcomeReportSerializer(data).data)


def _jsonable(payload):
    """The request body as JSON-storable data (QueryDicts become plain dicts)."""
    if hasattr(payload, "dict"):
        return payload.dict()
    return payload
