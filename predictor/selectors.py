"""Reads. Query logic lives here so views and API views stay thin."""

from __future__ import annotations

from django.db.models import QuerySet

from predictor.models import ModelVersion, Prediction


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
    return ModelVersion.objects.production().defer("artifact").first()
