"""The model registry's API: versions and their cards; staff promote and roll back."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from predictor.registry import selectors, services
from predictor.registry.api_examples import MODEL_VERSION, MODEL_VERSION_DETAIL
from predictor.registry.serializers import (
    ModelVersionDetailSerializer,
    ModelVersionSerializer,
)
from studentperf.api.exceptions import not_found
from studentperf.api.schema import (
    error_example,
    error_response,
    not_found_response,
    request_examples,
)


@extend_schema_view(
    get=extend_schema(
        summary="List model versions with their held-out metrics",
        examples=[OpenApiExample("Versions", value=MODEL_VERSION, response_only=True)],
    )
)
class ModelVersionList(generics.ListAPIView):
    """Model versions, newest first, with their metrics."""

    serializer_class = ModelVersionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.model_version_list()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "live": selectors.live_metrics()}


class ModelVersionDetail(APIView):
    """One model version's card: metrics, leaderboard, subgroup errors, status history."""

    @extend_schema(
        responses={
            200: ModelVersionDetailSerializer,
            404: not_found_response("model version", 7, owned=False),
        },
        examples=[OpenApiExample("Card", value=MODEL_VERSION_DETAIL, response_only=True)],
        summary="Get one model version's card",
    )
    def get(self, request, version: int):
        model_version = selectors.model_version_get(version=version)
        if model_version is None:
            raise not_found("model version", version)
        context = {"request": request, "live": selectors.live_metrics()}
        return Response(ModelVersionDetailSerializer(model_version, context=context).data)


class LifecycleInputSerializer(serializers.Serializer):
    """Why a version is promoted or rolled back; kept in the audit trail."""

    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


LIFECYCLE_ERRORS = {
    403: error_response(
        "signed in, but not as staff",
        error_example(
            "Not staff", "You do not have permission to perform this action.", "permission_denied"
        ),
    ),
    409: error_response(
        "the change cannot be made, and why",
        error_example(
            "Failed pre-flight",
            "pre-flight failed: v4 scores its 200 held-out rows with MAE 9.1000, not the "
            "5.2000 recorded at training",
            "preflight_failed",
        ),
    ),
}


class ModelVersionPromote(APIView):
    """Staff only: make a version the one in production (the previous one is archived)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        request=LifecycleInputSerializer,
        responses={
            200: ModelVersionSerializer,
            404: not_found_response("model version", 7, owned=False),
            **LIFECYCLE_ERRORS,
        },
        examples=[OpenApiExample("Promoted", value=MODEL_VERSION, response_only=True)],
        summary="Promote a model version to production",
    )
    def post(self, request, version: int):
        serializer = LifecycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model_version = selectors.model_version_get(version=version)
        if model_version is None:
            raise not_found("model version", version)
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
            503: error_response(
                "no version is in production",
                error_example(
                    "Nothing in production",
                    "no version is in production, so there is nothing to roll back",
                    "no_model",
                ),
            ),
            **LIFECYCLE_ERRORS,
        },
        examples=[
            *request_examples("A reason", {"reason": "v3 over-predicts free/reduced lunch"}),
            OpenApiExample(
                "Restored",
                value={**MODEL_VERSION, "version": 2, "status": "production"},
                response_only=True,
            ),
        ],
        summary="Roll production back to the previous version",
    )
    def post(self, request):
        serializer = LifecycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        restored = services.model_version_rollback(
            actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(ModelVersionSerializer(restored).data)
