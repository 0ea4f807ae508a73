"""Reads. Query logic lives here so views and API views stay thin."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet

from ml import schema
from ml.predict import what_if
from predictor import explanations, serving
from predictor.errors import ServiceError
from predictor.models import ModelVersion, ModelVersionEvent, Prediction


def prediction_list(*, user, session_key: str | None) -> QuerySet[Prediction]:
    """Predictions the person may see, newest first, with their model version joined."""
    return Prediction.objects.visible_to(user, session_key).select_related("model_version")


def prediction_get(*, pk: int, user, session_key: str | None) -> Prediction | None:
    """One visible prediction, or ``None`` (never telling whether it exists for someone else)."""
    return prediction_list(user=user, session_key=session_key).filter(pk=pk).first()


@dataclass
class PredictionResult:
    """What the result page shows about one prediction.

    ``what_if`` is computed by ``what_if_version`` (the version that made the
    prediction, production or not); ``what_if_error`` says why it is empty when that
    version cannot be loaded. ``production_version`` is the version serving now, if any.
    """

    prediction: Prediction
    features: list[dict]
    reasons: list[explanations.Reason] = field(default_factory=list)
    range_bar: explanations.RangeBar | None = None
    what_if: list[explanations.WhatIfLine] = field(default_factory=list)
    what_if_version: int | None = None
    what_if_error: str = ""
    production_version: int | None = None


def prediction_result(*, pk: int, user, session_key: str | None) -> PredictionResult | None:
    """One visible prediction with its reasons, range bar and what-if answers, or ``None``.

    The what-if is scored by the prediction's own model version (loaded through
    ``serving.version_model``), so its answers agree with the prediction beside them
    even after another version was promoted.
    """
    prediction = prediction_get(pk=pk, user=user, session_key=session_key)
    if prediction is None:
        return None
    features = prediction.features
    result = PredictionResult(
        prediction=prediction,
        features=[{"label": f.label, "value": features[f.name]} for f in schema.FEATURES],
    )
    if prediction.status != Prediction.Status.OK:
        return result
    result.reasons = explanations.reasons(features, prediction.contributions or {})
    result.range_bar = explanations.range_bar(
        prediction.predicted_math_score, prediction.interval_low, prediction.interval_high
    )
    production = ModelVersion.objects.production().values_list("version", flat=True).first()
    result.production_version = production
    try:
        served = serving.version_model(model_version_id=prediction.model_version_id)
    except ServiceError as exc:
        result.what_if_error = exc.message
        return result
    result.what_if_version = served.version
    result.what_if = explanations.what_if_lines(what_if(served.model, features))
    return result


def model_version_list() -> QuerySet[ModelVersion]:
    """Model versions, newest first, without loading artifact bytes."""
    return ModelVersion.objects.defer("artifact", "reference_profile", "train_row_hashes")


def model_version_get(*, version: int) -> ModelVersion | None:
    """One version (no artifact bytes) with its status history, newest event first; each
    event carries ``previous_version`` (number or ``None``) and ``actor_username``."""
    # Annotated, not select_related: joining the previous version would load its artifact.
    events = ModelVersionEvent.objects.annotate(
        previous_version=F("previous_production__version"), actor_username=F("actor__username")
    )
    return (
        model_version_list()
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(version=version)
        .first()
    )


@dataclass
class ModelVersionCard:
    """A model version with its subgroup errors laid out for the card page."""

    model_version: ModelVersion
    subgroups: list[dict]
    largest_gap: str


def model_version_card(*, version: int) -> ModelVersionCard | None:
    """The card of one version, or ``None`` when there is no such version."""
    model_version = model_version_get(version=version)
    if model_version is None:
        return None
    return ModelVersionCard(
        model_version=model_version,
        subgroups=explanations.subgroup_tables(model_version.subgroup_errors),
        largest_gap=explanations.largest_gap_text(model_version.subgroup_errors),
    )


def production_version() -> ModelVersion | None:
    return ModelVersion.objects.production().defer("artifact").first()
