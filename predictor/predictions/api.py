"""The predictions API (DRF): score, list, fetch, batch, outcomes. Views parse, call one
service or selector, and serialize."""

from __future__ import annotations

import logging
import uuid

from rest_framework import generics, status
from rest_framework.exceptions import (
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
from predictor.predictions import (
    api_docs,
    batches,
    exports,
    jobs,
    selectors,
    services,
    uploads,
)
from predictor.predictions.serializers import (
    BatchJobSerializer,
    BatchSerializer,
    OutcomeInputSerializer,
    OutcomeReportSerializer,
    PredictionFilterSerializer,
    PredictionInputSerializer,
    PredictionSerializer,
    prediction_data,
    prediction_input_validate,
)
from studentperf.api.exceptions import not_found
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

    # The browsable API's title, and its form is the input (what a POST sends).
    name = "Predictions: score a student (POST) or list yours (GET)"
    serializer_class = PredictionSerializer
    pagination_class = PredictionPagination

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return PredictionInputSerializer
        return PredictionSerializer

    def get_queryset(self):
        return selectors.prediction_list(
            user=self.request.user, session_key=_session_key(self.request)
        )

    @api_docs.prediction_list_create_post
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
        validated, errors = prediction_input_validate(payload)
        if errors is not None:
            services.prediction_reject(
                errors=errors,
                channel=Prediction.Channel.API,
                raw_payload=_jsonable(payload),
                owner=request.user,
                session_key=_session_key(request),
            )
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        prediction = services.prediction_create(
            features={name: validated[name] for name in schema.FEATURE_NAMES},
            channel=Prediction.Channel.API,
            raw_payload=_jsonable(payload),
            owner=request.user,
            session_key=_session_key(request),
            reference=validated["reference"],
        )
        return Response(prediction_data(prediction), status=status.HTTP_201_CREATED)

    @api_docs.prediction_list_create_get
    def get(self, request):
        filters = PredictionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.prediction_list(
            user=request.user, session_key=_session_key(request), **filters.validated_data
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PredictionDetail(APIView):
    """One prediction: yours, or any for staff; another person's is a 404."""

    name = "Prediction"

    @api_docs.prediction_detail_get
    def get(self, request, pk: int):
        prediction = selectors.prediction_get(
            pk=pk, user=request.user, session_key=_session_key(request)
        )
        if prediction is None:
            raise not_found("prediction", pk)
        return Response(PredictionSerializer(prediction).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(prediction_data(self.get_object()))


class PredictionOutcome(APIView):
    """Record the real math score of one of your scored predictions."""

    name = "Prediction outcome: record the real math score"

    @api_docs.prediction_outcome_post
    def post(self, request, pk: int):
        prediction = selectors.prediction_get(
            pk=pk, user=request.user, session_key=_session_key(request)
        )
        if prediction is None:
            raise not_found("prediction", pk)
        serializer = OutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prediction = services.prediction_record_outcome(
            prediction=prediction, actual_math_score=serializer.validated_data["actual_math_score"]
        )
        return Response(prediction_data(prediction))


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


class PredictionBatchCreate(JSONOrCSVAPIView):
    """Score a whole table of students at once."""

    name = "Batch: score a table of students"

    @api_docs.prediction_batch_create_post
    def post(self, request):
        upload = _upload(request)
        if upload.as_job or uploads.prefers_async(request.META):
            job = jobs.batch_job_from_upload(
                upload=upload, owner=request.user, session_key=_session_key(request)
            )
            headers = {"Location": reverse("api-batch-job", kwargs={"job_id": job.pk})}
            if uploads.prefers_async(request.META):
                # RFC 7240: only a preference the client stated is said to be applied.
                headers["Preference-Applied"] = "respond-async"
            return Response(
                BatchJobSerializer(job, context={"request": request}).data,
                status=status.HTTP_202_ACCEPTED,
                headers=headers,
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
    name = "Batch job"

    @api_docs.prediction_batch_job_detail_get
    def get(self, request, job_id: uuid.UUID):
        job = selectors.batch_job_get(
            job_id=job_id, user=request.user, session_key=_session_key(request)
        )
        if job is None:
            raise not_found("job", job_id)
        return Response(BatchJobSerializer(job, context={"request": request}).data)


class PredictionBatchDetail(JSONOrCSVAPIView):
    """A batch you scored, again: its counts and rows (or its CSV)."""

    name = "Batch"

    @api_docs.prediction_batch_detail_get
    def get(self, request, batch_id: uuid.UUID):
        batch = selectors.batch_get(
            batch_id=batch_id, user=request.user, session_key=_session_key(request)
        )
        if batch is None:
            raise not_found("batch", batch_id)
        result = batches.BatchResult(batch, list(selectors.batch_predictions(batch=batch)))
        return _batch_response(request, result, status.HTTP_200_OK)


class PredictionOutcomeUpload(APIView):
    """Record many real scores at once, matched by prediction id or reference."""

    parser_classes = [StrictJSONParser, CSVParser, MultiPartParser]
    name = "Outcomes: record many real scores"

    @api_docs.prediction_outcome_upload_post
    def post(self, request):
        on_ambiguous = request.query_params.get("on_ambiguous") or "newest"  # empty: default
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
