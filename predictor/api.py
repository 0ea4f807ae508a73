"""REST API views (DRF). They parse, call one service or selector, and serialize."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from predictor import selectors, services
from predictor.errors import ServiceError
from predictor.models import Prediction
from predictor.serializers import (
    ModelVersionSerializer,
    PredictionInputSerializer,
    PredictionSerializer,
)

ErrorSerializer = inline_serializer(
    "Error", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


def exception_handler(exc, context):
    """DRF's handler, plus ``ServiceError`` → its status with ``{"detail", "code"}``."""
    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    return drf_exception_handler(exc, context)


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


class LifecycleInputSerializer(serializers.Serializer):
    """Why a version is promoted or rolled back; kept in the audit trail."""

    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


LIFECYCLE_ERRORS = {
    403: OpenApiResponse(ErrorSerializer, description="not signed in as staff"),
    409: OpenApiResponse(ErrorSerializer, description="the change cannot be made, and why"),
}


class ModelVersionPromote(APIView):
    """Staff only: make a version the one in production (the previous one is archived)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=LifecycleInputSerializer,
        responses={
            200: ModelVersionSerializer,
            404: OpenApiResponse(description="no such version"),
            **LIFECYCLE_ERRORS,
        },
        summary="Promote a model version to production",
    )
    def post(self, request, version: int):
        serializer = LifecycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model_version = get_object_or_404(selectors.model_version_list(), version=version)
        promoted = services.model_version_promote(
            model_version=model_version,
            actor=request.user,
            reason=serializer.validated_data["reason"],
        )
        return Response(ModelVersionSerializer(promoted).data)


class ModelVersionRollback(APIView):
    """Staff only: put back the version the current production version replaced."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=LifecycleInputSerializer,
        responses={
            200: ModelVersionSerializer,
            503: OpenApiResponse(ErrorSerializer, description="no version in production"),
            **LIFECYCLE_ERRORS,
        },
        summary="Roll production back to the previous version",
    )
    def post(self, request):
        serializer = LifecycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        restored = services.model_version_rollback(
            actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(ModelVersionSerializer(restored).data)
