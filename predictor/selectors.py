"""Reads. Query logic lives here so views and API views stay thin."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from predictor.models import ModelVersion, ModelVersionEvent, Prediction


def prediction_list(*, user, session_key: str | None) -> QuerySet[Prediction]:
    """Predictions the person may see, newest first, with their model version joined."""
    return Prediction.objects.visible_to(user, session_key).select_related("model_version")


def prediction_get(*, pk: int, user, session_key: str | None) -> Prediction | None:
    """One visible prediction, or ``None`` (never telling whether it exists for someone else)."""
    return prediction_list(user=user, session_key=session_key).filter(pk=pk).first()


def model_version_list() -> QuerySet[ModelVersion]:
    """Model versions, newest first, without loading artifact bytes."""
    return ModelVersion.objects.defer("artifact", "reference_profile", "train_row_hashes")


def production_version() -> ModelVersion | None:
    """The version in production (artifact bytes not loaded), or ``None``."""
    return ModelVersion.objects.production().defer("artifact").first()


def model_version_events(*, model_version: ModelVersion) -> QuerySet[ModelVersionEvent]:
    """Status changes that involve ``model_version`` (as the new or the replaced production
    version), newest first, with both versions and the actor joined."""
    return (
        ModelVersionEvent.objects.filter(
            Q(model_version=model_version) | Q(previous_production=model_version)
        )
        .select_related("model_version", "previous_production", "actor")
        .only(
            "created_at",
            "action",
            "reason",
            "actor_label",
            "model_version__version",
            "previous_production__version",
            "actor__username",
        )
    )


def rollback_target(*, current: ModelVersion) -> ModelVersion | None:
    """The version a rollback from ``current`` restores: the one ``current`` replaced when it
    was last *promoted*, or ``None``.

    Rollbacks do not count, so repeated rollbacks walk back through the promotions
    (v3 → v2 → v1) instead of toggling between the last two versions.
    """
    event = (
        ModelVersionEvent.objects.filter(
            model_version=current,
            action=ModelVersionEvent.Action.PROMOTE,
            previous_production__isnull=False,
        )
        .select_related("previous_production")
        .defer("previous_production__artifact", "previous_production__train_row_hashes")
        .first()
    )
    return event.previous_production if event else None
