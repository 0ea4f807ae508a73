"""Batches of students: a whole table scored and stored in one go (``prediction_create_batch``)
or chunk by chunk by a job (``batch_new``, ``batch_chunk_score``, ``batch_chunk_store``),
every row stored exactly once."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from ml import schema
from ml.data import rejection_reason, require_columns, validate_rows
from ml.errors import DataError
from ml.predict import records_frame
from predictor.errors import (
    ScoringError,
    ServiceError,
)
from predictor.models import Batch, Prediction
from predictor.predictions.services import (
    REFERENCE_MAX_CHARS,
    _attribution,
    _score_frame,
    bounded_payload,
    storable_errors,
)

logger = logging.getLogger(__name__)

# Rows per INSERT of a batch; SQLite allows 32,766 parameters per statement.
BULK_CREATE_BATCH_SIZE = 1000


CELL_MAX_CHARS = 1_000  # per cell of a batch row as stored


def _short_cells(row: dict) -> dict:
    """A batch row as stored: a text cell over ``CELL_MAX_CHARS`` cut there with "…", so
    that one long cell leaves the row's other columns to echo as sent."""
    return {
        k: v[:CELL_MAX_CHARS] + "…" if isinstance(v, str) and len(v) > CELL_MAX_CHARS else v
        for k, v in row.items()
    }


@dataclass
class BatchResult:
    """A stored batch and its rows as ``Prediction`` objects, in the input's order."""

    batch: Batch
    predictions: list[Prediction]


def prediction_create_batch(
    *,
    frame: pd.DataFrame,
    owner=None,
    session_key: str | None = None,
    source_name: str = "",
) -> BatchResult:
    """Score every valid row of a table of students and store every row, in order.

    ``frame``: raw cells with canonical column names, as ``predictor.uploads`` returns
    them (the headers as sent in ``frame.attrs["source_headers"]``); an optional
    ``reference`` column fills each row's reference. Valid rows are scored with ONE call
    to the production model; invalid rows are stored as rejected with their errors, so a
    bad row never fails the others. All rows (channel batch, one ``batch_id``,
    ``batch_row`` 0..n-1) and the ``Batch`` go in with one bulk insert in one
    transaction. ``latency_ms`` of a scored row is its share of the batch's scoring time.
    A batch job (``predictor.predictions.jobs``) stores its rows with the same two
    functions, ``batch_chunk_score`` and ``batch_chunk_store``, a chunk at a time.

    Raises ``ServiceError`` (400) when a feature column is missing. When no model can
    serve, the rows are still stored (valid ones as failed) and then ``NoModelError`` /
    ``ModelUnavailableError`` (503) or ``ScoringError`` (500, logged) is raised.
    """
    batch = batch_new(frame=frame, owner=owner, session_key=session_key, source_name=source_name)
    chunk = batch_chunk_score(frame=frame, batch=batch, first_row=0)
    with transaction.atomic():
        batch.save(force_insert=True)
        batch_chunk_store(batch=batch, chunk=chunk)
    if chunk.model_error is not None:
        raise chunk.model_error
    return BatchResult(batch, chunk.predictions)


def batch_headers(frame: pd.DataFrame) -> list[str]:
    """The input's column headers as sent, in order (NULs dropped)."""
    return [str(h).replace("\x00", "") for h in frame.attrs.get("source_headers", frame.columns)]


def batch_new(
    *, frame: pd.DataFrame, owner=None, session_key: str | None = None, source_name: str = ""
) -> Batch:
    """An unsaved ``Batch`` for ``frame``'s rows, its counts at zero (``batch_chunk_store``
    adds each chunk's), written as the upload was (``frame.attrs["table_format"]``).
    Raises ``ServiceError`` (400) naming every missing feature column."""
    try:
        require_columns(frame, schema.FEATURE_NAMES)
    except DataError as exc:
        raise ServiceError(str(exc)) from None
    written = frame.attrs.get("table_format") or {}
    return Batch(
        source_name=source_name[:200],
        columns=batch_headers(frame),
        file_format=written.get("file_format", Batch.FileFormat.CSV),
        delimiter=written.get("delimiter", ","),
        byte_order_mark=written.get("byte_order_mark", False),
        **_attribution(owner, session_key),
    )


@dataclass
class ScoredChunk:
    """Rows ``first_row``… of a batch, scored (or not) and ready to insert.

    ``predictions``: unsaved ``Prediction`` objects in order; ``reasons``: per row, the
    short rejection reasons (``ml.data.rejection_reason``); ``model_version_id``: the
    version that scored them (``None`` when none did); ``model_error``: the
    ``ServiceError`` to raise when no model could score them."""

    first_row: int
    predictions: list[Prediction]
    reasons: list[list[str]]
    model_version_id: int | None = None
    model_error: ServiceError | None = None


def batch_chunk_score(*, frame: pd.DataFrame, batch: Batch, first_row: int) -> ScoredChunk:
    """Validate and score a slice of a batch's table (rows ``first_row``… of the file),
    writing nothing: valid rows with ONE call to the production model, invalid rows
    rejected with their errors, and, when no model can serve, valid rows marked failed
    with the reason in ``model_error``. ``frame`` as for ``prediction_create_batch``, its
    ``attrs["ragged_rows"]`` numbered from the slice's first row."""
    try:
        checked = validate_rows(frame)
    except DataError as exc:
        raise ServiceError(str(exc)) from None
    headers = batch.columns
    cells = frame.to_numpy(dtype=object, na_value=None).tolist()
    raw_rows = [dict(zip(headers, row, strict=True)) for row in cells]
    references = (
        [
            "" if v is None else str(v).replace("\x00", "").strip()
            for v in frame["reference"].tolist()
        ]
        if "reference" in frame.columns
        else [""] * len(frame)
    )
    for i, reference in enumerate(references):
        if len(reference) > REFERENCE_MAX_CHARS:
            # As the single API does: refused, not cut (a cut code could match another).
            checked[i].errors["reference"] = f"must be at most {REFERENCE_MAX_CHARS} characters"
            references[i] = reference[:REFERENCE_MAX_CHARS]
    valid = [i for i, row in enumerate(checked) if row.ok]
    served, scores, model_error, latency_ms = None, None, None, None
    if valid:
        started = time.perf_counter()
        try:
            served, scores = _score_frame(records_frame([checked[i].values for i in valid]))
        except ServiceError as exc:
            model_error = exc
        except Exception as exc:
            # As in prediction_create: keep the rows, log for operators, answer plainly.
            logger.exception("scoring a batch of %d rows failed", len(valid))
            model_error = ScoringError(
                f"the model could not score this file ({type(exc).__name__}); "
                "its rows are recorded as failed"
            )
        latency_ms = (time.perf_counter() - started) * 1000 / len(valid)

    attribution = {"owner_id": batch.owner_id, "session_key": batch.session_key}
    predictions = [
        Prediction(
            channel=Prediction.Channel.BATCH,
            batch_id=batch.pk,
            **attribution,
            **row.values,
            status=Prediction.Status.OK if row.ok else Prediction.Status.REJECTED,
            errors=storable_errors(row.errors),
            batch_row=first_row + i,
            raw_payload=bounded_payload(_short_cells(raw_rows[i])),
            reference=references[i],
        )
        for i, row in enumerate(checked)
    ]
    if scores is not None:
        _fill_scores(predictions, valid, scores, served.model_version_id, latency_ms)
    elif model_error is not None:
        for i in valid:
            predictions[i].status = Prediction.Status.FAILED
            predictions[i].errors = {"model": model_error.message}
    reasons = [
        [rejection_reason(name, message) for name, message in row.errors.items()] for row in checked
    ]
    return ScoredChunk(
        first_row=first_row,
        predictions=predictions,
        reasons=reasons,
        model_version_id=served.model_version_id if scores is not None else None,
        model_error=model_error,
    )


def batch_chunk_store(*, batch: Batch, chunk: ScoredChunk) -> int:
    """Insert a scored chunk's rows and add them to ``batch``'s counts; returns the rows
    inserted. Runs in the caller's transaction, ``batch`` saved and, where two writers
    could meet, locked by the caller.

    Idempotent: a row of the chunk already stored (same ``batch_id`` and ``batch_row``,
    which a database constraint keeps unique) is neither inserted again nor counted
    again, so a chunk retried after a crash stores each row once."""
    last = chunk.first_row + len(chunk.predictions)
    stored = set(
        Prediction.objects.filter(
            batch_id=batch.pk, batch_row__gte=chunk.first_row, batch_row__lt=last
        ).values_list("batch_row", flat=True)
    )
    new = [
        (p, reasons)
        for p, reasons in zip(chunk.predictions, chunk.reasons, strict=True)
        if p.batch_row not in stored
    ]
    Prediction.objects.bulk_create([p for p, _ in new], batch_size=BULK_CREATE_BATCH_SIZE)
    status_counts = Counter(p.status for p, _ in new)
    rejections = Counter(batch.rejections)
    rejections.update(reason for _, reasons in new for reason in reasons)
    batch.rows_total += len(new)
    batch.rows_scored += status_counts[Prediction.Status.OK]
    batch.rows_rejected += status_counts[Prediction.Status.REJECTED]
    batch.rows_failed += status_counts[Prediction.Status.FAILED]
    batch.rejections = dict(rejections.most_common())
    if batch.model_version_id is None and chunk.model_version_id is not None:
        batch.model_version_id = chunk.model_version_id
    batch.save(
        update_fields=[
            "rows_total",
            "rows_scored",
            "rows_rejected",
            "rows_failed",
            "rejections",
            "model_version",
        ]
    )
    return len(new)


def _fill_scores(predictions, valid, scores, model_version_id, latency_ms) -> None:
    # tolist() once per array: indexing numpy scalars 10,000 times costs more than scoring.
    point, low, high = scores.point.tolist(), scores.low.tolist(), scores.high.tolist()
    baseline, contributions = scores.baseline.tolist(), scores.contributions.tolist()
    unusual = scores.unusual.tolist() if scores.unusual is not None else [False] * len(valid)
    reasons = scores.unusual_reasons or [""] * len(valid)
    for k, i in enumerate(valid):
        prediction = predictions[i]
        prediction.predicted_math_score = point[k]
        prediction.interval_low = low[k]
        prediction.interval_high = high[k]
        prediction.interval_level = scores.level
        prediction.baseline = baseline[k]
        prediction.contributions = dict(zip(schema.FEATURE_NAMES, contributions[k], strict=True))
        prediction.warnings = scores.warnings[k] if scores.warnings else []
        prediction.model_version_id = model_version_id
        prediction.unusual = unusual[k]
        prediction.unusual_reason = reasons[k]
        prediction.latency_ms = latency_ms
