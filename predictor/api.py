"""REST API views (DRF). They parse, call one service or selector, and serialize."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from predictor import selectors, services
from predictor.errors import ServiceError
from predictor.models import Prediction
from predictor.serializers import (
    ModelVersionDetailSerializer,
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


@extend_schema_view(get=extend_schema(summary="One of your predictions"))
class PredictionDetail(generics.RetrieveAPIView):
    """One prediction: yours, or any for staff; another person's is a 404."""

    serializer_class = PredictionSerializer

    def get_queryset(self):
        return selectors.prediction_list(
            user=self.request.user, session_key=_session_key(self.request)
        )


@extend_schema_view(get=extend_schema(summary="Model versions with their held-out metrics"))
class ModelVersionList(generics.ListAPIView):
    """Model versions, newest first, with their metrics."""

    serializer_class = ModelVersionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.model_version_list()


class ModelVersionDetail(APIView):
    """One model version's card: metrics, leaderboard, subgroup errors, status history."""

    @extend_schema(
        responses={
            200: ModelVersionDetailSerializer,
            404: OpenApiResponse(description="no such version"),
        },
        summary="One model version's card",
    )
    def get(self, request, version: int):
        model_version = selectors.model_version_get(version=version)
        if model_version is None:
            raise NotFound(f"there is no model version {version}")
        return Response(ModelVersionDetailSerializer(model_version).data)


def _jsonable(payload):
    """The request body as JSON-storable data (QueryDicts become plain dicts)."""
    if hasattr(payload, "dict"):
        return payload.dict()
    return payload
