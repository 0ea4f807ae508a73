"""Reads. Query logic lives here so views and API views stay thin."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.utils import timezone

from predictor.models import Batch, ModelVersion, Prediction


def prediction_list(
    *,
    user,
    session_key: str | None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    model_version: int | None = None,
    status: str | None = None,
    reference: str | None = None,
    channel: str | None = None,
    batch: uuid.UUID | None = None,
) -> QuerySet[Prediction]:
    """Predictions the person may see, newest first, with their model version joined.

    The history page, its CSV export and ``GET /api/v1/predictions/`` all filter here.
    Filters left ``None`` or empty do not apply: ``date_from`` / ``date_to`` are
    inclusive calendar days in the site's time zone (``TIME_ZONE``); ``model_version`` is
    a version number (``3`` for v3); ``reference`` matches any part, ignoring case;
    ``batch`` is a batch id.
    """
    rows = Prediction.objects.visible_to(user, session_key).select_related("model_version")
    # Day bounds as datetimes, not a __date lookup, so the created_at index still serves.
    if date_from:
        rows = rows.filter(created_at__gte=_start_of(date_from))
    if date_to:
        rows = rows.filter(created_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    if model_version:
        rows = rows.filter(model_version__version=model_version)
    if status:
        rows = rows.filter(status=status)
    if reference:
        rows = rows.filter(reference__icontains=reference.strip())
    if channel:
        rows = rows.filter(channel=channel)
    if batch:
        rows = rows.filter(batch_id=batch)
    return rows


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def prediction_get(*, pk: int, user, session_key: str | None) -> Prediction | None:
    """One visible prediction, or ``None`` (never telling whether it exists for someone else)."""
    return prediction_list(user=user, session_key=session_key).filter(pk=pk).first()


def batch_get(*, batch_id: uuid.UUID, user, session_key: str | None) -> Batch | None:
    """One visible batch, or ``None`` (someone else's is as absent as a missing one)."""
    return (
        Batch.objects.visible_to(user, session_key)
        .select_related("model_version")
        .filter(pk=batch_id)
        .first()
    )


def batch_list(*, user, session_key: str | None, limit: int = 10) -> list[Batch]:
    """The person's latest batches, newest first."""
    return list(Batch.objects.visible_to(user, session_key).select_related("model_version")[:limit])


def batch_predictions(*, batch: Batch) -> QuerySet[Prediction]:
    """A batch's rows in the input's order (the fields its CSV needs)."""
    return (
        Prediction.objects.filter(batch_id=batch.pk)
        .order_by("batch_row")
        .only(
            "batch_row",
            "status",
            "errors",
            "raw_payload",
            "reference",
            "predicted_math_score",
            "interval_low",
            "interval_high",
        )
    )


def model_version_list() -> QuerySet[ModelVersion]:
    """Model versions, newest first, without loading artifact bytes."""
    return ModelVersion.objects.defer("artifact", "reference_profile", "train_row_hashes")


def production_version() -> ModelVersion | None:
    return ModelVersion.objects.production().defer("artifact").first()
