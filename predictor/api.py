"""REST API views (DRF). They parse, call one service or selector, and serialize."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from predictor import selectors, services
from predictor.errors import ServiceError
from predictor.models import Prediction
from predictor.serializers import (
    ModelVersionSerializer,
    PredictionInputSerializer,
    PredictionSerializer,
)

logger = logging.getLogger("django.request")

ErrorSerializer = inline_serializer(
    "Error", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


def exception_handler(exc, context):
    """DRF's handler, plus ``ServiceError`` → its status with ``{"detail", "code"}``, and
    any other exception → a logged traceback and a JSON 500 that names the request id,
    never the traceback."""
    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "detail": f"request body too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE}"
                " bytes",
                "code": "too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            {"detail": "bad request", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    request = context.get("request")
    request_id = getattr(request, "request_id", None)
    logger.error(
        "unhandled error in %s",
        type(context.get("view")).__name__,
        exc_info=exc,
        extra={"path": getattr(request, "path", None)},
    )
    set_rollback()
    return Response(
        {
            "detail": f"internal error; it has been logged with request id {request_id}",
            "code": "server_error",
        },
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _session_key(request) -> str:
    session = getattr(request, "session", None)
    return session.session_key or "" if session is not None else ""


class PredictionListCreate(generics.GenericAPIView):
    """Score a student (POST) or list your predictions (GET, newest first)."""

    serializer_class = PredictionSerializer

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
        try:
            payload = request.data
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

    @extend_schema(responses=PredictionSerializer(many=True), summary="Your predictions")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PredictionDetail(generics.RetrieveAPIView):
    """One prediction: yours, or any for staff; another person's is a 404."""

    serializer_class = PredictionSerializer

    def get_queryset(self):
        return selectors.prediction_list(
            user=self.request.user, session_key=_session_key(self.request)
        )


class ModelVersionList(generics.ListAPIView):
    """Model versions, newest first, with their metrics."""

    serializer_class = ModelVersionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.model_version_list()


class ModelVersionDetail(APIView):
    """One model version with its metrics, leaderboard and subgroup errors."""

    @extend_schema(responses=ModelVersionSerializer)
    def get(self, request, version: int):
        model_version = get_object_or_404(selectors.model_version_list(), version=version)
        return Response(ModelVersionSerializer(model_version).data)


def _jsonable(payload):
    """The request body as JSON-storable data (QueryDicts become plain dicts)."""
    if hasattr(payload, "dict"):
        return payload.dict()
    return payload
