"""The model registry's API: versions and their cards; staff promote and roll back."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from predictor.errors import FairnessGateError
from predictor.registry import selectors, services
from predictor.registry.api_examples import MODEL_VERSION, MODEL_VERSION_DETAIL
from predictor.registry.serializers import (
    ModelVersionDetailSerializer,
    ModelVersionSerializer,
)
from studentperf.api.exceptions import not_found
from studentperf.api.schema import (
    bad_request,
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


class PromoteInputSerializer(serializers.Serializer):
    """Why a version is promoted (required), and whether to override the fairness gate."""

    reason = serializers.CharField(
        max_length=1000,
        help_text="why this version should serve, in a sentence; required, kept in the "
        "audit trail with who and when",
    )
    override_fairness_gate = serializers.BooleanField(
        default=False,
        help_text="promote even though the fairness gate refuses; the gate's reasons are "
        "kept in the audit trail beside your reason",
    )


class FairnessGateErrorSerializer(serializers.Serializer):
    """409 when the fairness gate refuses: ``code`` is ``fairness_gate_failed``."""

    detail = serializers.CharField()
    code = serializers.CharField()
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="each finding in words, e.g. a group's coverage below the floor",
    )


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
        request=PromoteInputSerializer,
        responses={
            200: ModelVersionSerializer,
            400: bad_request(
                "no reason given, or a field is invalid",
                OpenApiExample(
                    "No reason",
                    value={"reason": ["Give a reason for the promotion (the audit keeps it)."]},
                    response_only=True,
                ),
            ),
            404: not_found_response("model version", 7, owned=False),
            403: LIFECYCLE_ERRORS[403],
            409: OpenApiResponse(
                FairnessGateErrorSerializer,
                description="the change cannot be made, and why: already in production, "
                "pre-flight failed, or the fairness gate refused (`reasons` lists its "
                "findings; send `override_fairness_gate: true` with a reason to go ahead)",
                examples=[
                    OpenApiExample(
                        "Fairness gate refused",
                        value={
                            "detail": "the fairness gate refused v4; send "
                            "override_fairness_gate with a reason to promote it anyway",
                            "code": "fairness_gate_failed",
                            "reasons": [
                                "lunch free/reduced: 90% interval coverage 0.78 under v4, "
                                "below the floor of 0.83 (production: 0.90)"
                            ],
                        },
                        response_only=True,
                    ),
                    *LIFECYCLE_ERRORS[409].examples,
                ],
            ),
        },
        examples=[
            *request_examples(
                "Promote with a reason",
                {"reason": "v4 is as accurate on this term's real scores and fairer by lunch"},
            ),
            *request_examples(
                "Override the fairness gate",
                {
                    "reason": "group A's coverage dips on 17 rows only; reviewed with the "
                    "data lead, 2026-12-02",
                    "override_fairness_gate": True,
                },
            ),
            OpenApiExample("Promoted", value=MODEL_VERSION, response_only=True),
        ],
        summary="Promote a model version to production",
        description="Runs the pre-flight and the fairness gate (per protected group, the "
        "candidate against production on rows neither was fitted on). A reason is required.",
    )
    def post(self, request, version: int):
        serializer = PromoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model_version = selectors.model_version_get(version=version)
        if model_version is None:
            raise not_found("model version", version)
        try:
            promoted, _ = services.model_version_promote_reviewed(
                model_version=model_version, actor=request.user, **serializer.validated_data
            )
        except FairnessGateError as exc:
            body = {"detail": exc.message, "code": exc.code, "reasons": exc.reasons}
            return Response(body, status=exc.status_code)
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
