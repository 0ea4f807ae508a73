"""Reads of predictions and batches; they never run a model."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from ml import schema
from predictor.models import Batch, BatchJob, Prediction
from predictor.predictions import explanations


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
    # Day bounds as datetimes, not a __date lookup, so an index led by created_at
    # (prediction_volume_idx) still serves.
    if date_from:
        rows = rows.filter(created_at__gte=_start_of(date_from))
    if date_to and date_to < dt.date.max:  # the last day there is bounds nothing
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


@dataclass
class PredictionResult:
    """What the result page shows about one prediction.

    ``what_if`` (filled by ``services.prediction_what_if``) is scored by
    ``what_if_version``, the version that made the prediction when it is the one serving;
    ``what_if_error`` says why it is empty otherwise.
    """

    prediction: Prediction
    features: list[dict]
    reasons: list[explanations.Reason] = field(default_factory=list)
    background_parts: list[explanations.Reason] = field(default_factory=list)
    excluded_features: list[str] = field(default_factory=list)
    range_bar: explanations.RangeBar | None = None
    what_if: list[explanations.WhatIfLine] = field(default_factory=list)
    what_if_version: int | None = None
    what_if_error: str = ""

    @property
    def model_figure(self) -> float | None:
        """Baseline plus the contributions, points: the model's own figure, which the
        score equals unless keeping it on the 0–100 scale moved it."""
        p = self.prediction
        contributions = p.clean_contributions
        if p.baseline is None or not contributions:
            return None
        return p.baseline + sum(contributions.values())

    @property
    def clipped(self) -> bool:
        """Whether the score was kept on the scale (the model's figure fell past 0 or 100)."""
        figure = self.model_figure
        return figure is not None and abs(figure - self.prediction.predicted_math_score) > 1e-6


def prediction_result(*, pk: int, user, session_key: str | None) -> PredictionResult | None:
    """One visible prediction with its reasons and range bar, or ``None``. The what-if
    answers are scored by ``services.prediction_what_if``, not here."""
    prediction = prediction_get(pk=pk, user=user, session_key=session_key)
    if prediction is None:
        return None
    features = prediction.features
    # What was sent for a value that was refused (a rejected attempt stores only the
    # values that passed), under any of the headers the loaders accept.
    raw = prediction.raw_payload if isinstance(prediction.raw_payload, dict) else {}
    sent = {schema.normalize_header(str(key)): value for key, value in raw.items()}
    result = PredictionResult(
        prediction=prediction,
        features=[
            {
                "label": f.label,
                "value": features[f.name],
                "sent": sent.get(f.name) if features[f.name] is None else None,
            }
            for f in schema.FEATURES
        ],
    )
    if prediction.status != Prediction.Status.OK:
        return result
    explained = explanations.teacher_reasons(
        features,
        prediction.clean_contributions or {},
        features_used=prediction.model_version.features_used if prediction.model_version else None,
        show_background=settings.EXPLANATIONS_SHOW_BACKGROUND_FACTS,
    )
    result.reasons = explained.lines
    result.background_parts = explained.background_parts
    result.excluded_features = explained.excluded
    result.range_bar = explanations.range_bar(
        prediction.predicted_math_score, prediction.interval_low, prediction.interval_high
    )
    return result


def batch_versions(*, batch: Batch) -> list[dict]:
    """The model versions that scored ``batch``'s rows, oldest first, as ``[{"version",
    "rows"}]``: more than one when a promotion or rollback came while a job ran."""
    return list(
        Prediction.objects.filter(batch_id=batch.pk, model_version__isnull=False)
        .values(version=F("model_version__version"))
        .annotate(rows=Count("pk"))
        .order_by("version")
    )


def batch_job_get(*, job_id: uuid.UUID, user, session_key: str | None) -> BatchJob | None:
    """One visible batch job, or ``None`` (someone else's is as absent as a missing one),
    with ``job.batch`` set to its ``Batch`` once the worker has created it (else ``None``):
    the batch's counts are the job's errors so far."""
    job = BatchJob.objects.visible_to(user, session_key).filter(pk=job_id).first()
    if job is not None:
        job.batch = Batch.objects.select_related("model_version").filter(pk=job.batch_id).first()
    return job


def batch_job_list(*, user, session_key: str | None, limit: int = 10) -> list[BatchJob]:
    """The person's latest batch jobs not yet done (queued, running or failed), newest
    first; a done job is listed as its batch."""
    return list(
        BatchJob.objects.visible_to(user, session_key).exclude(status=BatchJob.Status.DONE)[:limit]
    )


@dataclass
class ClassRow:
    """One row of a batch as its page shows it: ``number`` (1-based, after the header),
    ``extras`` ((header, cell) of the upload's other columns, such as a name, in order),
    ``reference``, ``prediction`` (score, range and status) and ``problems`` (each refused
    value with its rule: ``"reading_score 105 must be between 0 and 100"``)."""

    number: int
    extras: list[tuple[str, str]]
    reference: str
    prediction: Prediction
    problems: list[str]


def batch_class(*, batch: Batch, limit: int) -> tuple[list[str], list[ClassRow]]:
    """(the upload's extra column headers, its first ``limit`` rows as ``ClassRow``), in
    the input's order. Extra columns are those that are neither a feature nor
    ``reference``; their cells come from each row's stored payload."""
    read = {*schema.FEATURE_NAMES, "reference"}
    extras = [c for c in batch.columns if schema.normalize_header(c) not in read]
    header_of = {schema.normalize_header(c): c for c in batch.columns}
    rows = []
    for p in batch_predictions(batch=batch)[:limit]:
        raw = p.raw_payload if isinstance(p.raw_payload, dict) else {}
        problems = []
        for name, message in (p.errors or {}).items():
            if name in schema.FEATURES_BY_NAME or name == "reference":
                sent = raw.get(header_of.get(name, name))
                value = "(empty)" if schema.is_blank(sent) else f"{schema.shown(str(sent))}"
                problems.append(
                    f"{name} {message}" if message == schema.EMPTY else f"{name} {value} {message}"
                )
            elif name == "row":
                problems.append(f"the row {message}")
            else:
                problems.append(str(message))
        rows.append(
            ClassRow(
                number=p.batch_row + 1,
                extras=[(c, "" if raw.get(c) is None else str(raw.get(c))) for c in extras],
                reference=p.reference,
                prediction=p,
                problems=problems,
            )
        )
    return extras, rows
