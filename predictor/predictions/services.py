"""Writes of predictions: score and store, reject, batches, outcomes, claim a session.

Views and API views parse input, call one of these, and render what comes back."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import pandas as pd
from django.db import transaction
from django.utils import timezone

from ml.data import OutcomeRow
from ml.what_if import what_if
from predictor.errors import (
    TRUNCATED_PAYLOAD,
    NotScoredError,
    ScoringError,
    ServiceError,
    error_message,
    error_text,
)
from predictor.models import Batch, HourlyRollup, Prediction
from predictor.predictions import explanations
from predictor.predictions.selectors import PredictionResult
from predictor.registry import serving

logger = logging.getLogger(__name__)


RAW_PAYLOAD_MAX_CHARS = 10_000
REFERENCE_MAX_CHARS = 200  # Prediction.reference's max_length


def bounded_payload(raw):
    """``raw`` as stored: unchanged when its JSON is at most ``RAW_PAYLOAD_MAX_CHARS``,
    else its first characters, so a rejected megabyte body cannot grow the database."""
    try:
        text = json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return {"unserialisable": repr(raw)[:RAW_PAYLOAD_MAX_CHARS]}
    if "\\u0000" in text:
        # PostgreSQL's jsonb cannot hold a NUL character; keep a visible stand-in instead.
        text = text.replace("\\u0000", "\\ufffd")
        raw = json.loads(text)
    if len(text) <= RAW_PAYLOAD_MAX_CHARS:
        return raw
    return {TRUNCATED_PAYLOAD: text[:RAW_PAYLOAD_MAX_CHARS], "length": len(text)}


ERROR_MAX_CHARS = 1_000  # per stored message; rules quote values cut short (schema.shown)


def storable_errors(errors: dict) -> dict[str, str]:
    """``{field: message or [messages]}`` as stored: ``{field: message}``, a list's
    messages joined by spaces, each cut at ``ERROR_MAX_CHARS``, and a NUL quoted from the
    input replaced by U+FFFD (PostgreSQL's jsonb cannot hold one, and pages and CSV files
    should not)."""
    stored = {}
    for name, messages in errors.items():
        message = error_message(messages)[:ERROR_MAX_CHARS]
        stored[str(name).replace("\x00", "\ufffd")] = message.replace("\x00", "\ufffd")
    return stored


def score_columns(result: dict) -> dict:
    """The ``Prediction`` columns of one scored row (``PredictionBatch.row`` output)."""
    return {
        "predicted_math_score": result["predicted_math_score"],
        "interval_low": result["interval"]["low"],
        "interval_high": result["interval"]["high"],
        "interval_level": result["interval"]["level"],
        "baseline": result["baseline"],
        "contributions": result["contributions"],
        "warnings": result.get("warnings", []),
        "unusual": result["unusual"]["flagged"],
        "unusual_reason": result["unusual"]["reason"],
    }


def _attribution(owner, session_key: str | None) -> dict:
    if owner is not None and owner.is_authenticated:
        return {"owner": owner, "session_key": ""}
    return {"owner": None, "session_key": session_key or ""}


def prediction_create(
    *,
    features: dict,
    channel: str,
    raw_payload=None,
    owner=None,
    session_key: str | None = None,
    reference: str = "",
) -> Prediction:
    """Score one student with the production model and store the result.

    ``features``: clean values for the seven schema features (categories canonical,
    scores int 0–100). Returns the saved ``Prediction`` (status ok).
    Raises ``NoModelError`` / ``ModelUnavailableError`` (503) after storing the attempt
    with status failed, so that no request goes unrecorded.
    """
    stored = {
        "channel": channel,
        "raw_payload": bounded_payload(raw_payload),
        "reference": reference or "",
        **_attribution(owner, session_key),
        **features,
    }
    started = time.perf_counter()
    try:
        served = serving.active_model()
    except ServiceError as exc:
        Prediction.objects.create(
            status=Prediction.Status.FAILED, errors={"model": exc.message}, **stored
        )
        raise
    try:
        result = served.model.predict_one(features)
    except Exception as exc:
        # A bug or a broken model must not lose the request or leak a traceback: keep the
        # attempt, log it, and let serving roll back a broken version and answer with
        # the restored one.
        failed = _store_scoring_failure(stored, served, exc)
        restored = serving.scoring_failed(served, exc)
        if restored is None:
            raise ScoringError(
                f"the model could not score this student; the attempt is recorded as {failed.pk}"
            ) from exc
        served = restored
        try:
            result = served.model.predict_one(features)
        except Exception as again:
            failed = _store_scoring_failure(stored, served, again)
            raise ScoringError(
                f"the model could not score this student; the attempt is recorded as {failed.pk}"
            ) from again
    latency_ms = (time.perf_counter() - started) * 1000
    prediction = Prediction.objects.create(
        status=Prediction.Status.OK,
        model_version_id=served.model_version_id,
        latency_ms=latency_ms,
        **score_columns(result),
        **stored,
    )
    # The served row, so serializing the answer needs no query for the version.
    prediction.model_version = served.model_version
    return prediction


def _score_frame(frame: pd.DataFrame):
    """``(served, PredictionBatch)`` for a frame of clean rows, scored by the production
    model; when it fails and serving rolls a broken version back, by the restored one."""
    served = serving.active_model()
    try:
        return served, served.model.predict(frame)
    except Exception as exc:
        logger.exception("v%s failed to score a batch of %d rows", served.version, len(frame))
        restored = serving.scoring_failed(served, exc)
        if restored is None:
            raise
        return restored, restored.model.predict(frame)


def _store_scoring_failure(stored: dict, served, exc: BaseException) -> Prediction:
    failed = Prediction.objects.create(
        status=Prediction.Status.FAILED,
        errors={"model": type(exc).__name__},
        model_version_id=served.model_version_id,
        **stored,
    )
    logger.exception("v%s failed to score prediction %s", served.version, failed.pk)
    return failed


def prediction_what_if(*, result: PredictionResult) -> PredictionResult:
    """Fill ``result``'s what-if answers (changeable facts changed one at a time), scored
    by the model serving now when it is the version that made the prediction.

    A page about an older prediction never loads its former model (a process holds only
    the production one); it says which version would answer instead. Never raises.
    """
    prediction = result.prediction
    if prediction.status != Prediction.Status.OK:
        return result
    try:
        served = serving.active_model()
    except ServiceError as exc:
        result.what_if_error = exc.message
        return result
    if served.model_version_id != prediction.model_version_id:
        result.what_if_error = (
            f"this prediction was made by model v{prediction.model_version.version}, and "
            f"v{served.version} serves now; score the student again to see what would change"
        )
        return result
    try:
        # Only changeable facts are asked about, and only those the model reads.
        changes = [
            c
            for c in what_if(served.model, prediction.features)
            if c["feature"] in explanations.CHANGEABLE_FACTS
            and c["feature"] in served.model.used_features
        ]
    except Exception:
        logger.exception("what-if failed for prediction %s", prediction.pk)
        result.what_if_error = "the model could not score the changes"
        return result
    result.what_if_version = served.version
    result.what_if = explanations.what_if_lines(changes)
    return result


def prediction_reject(
    *,
    errors: dict,
    channel: str,
    raw_payload=None,
    features: dict | None = None,
    owner=None,
    session_key: str | None = None,
    reference: str = "",
) -> Prediction:
    """Store an attempt whose input failed validation (status rejected).

    ``errors``: ``{field: message or [messages]}``, stored by ``storable_errors`` as
    ``{field: message}``, the shape batch rows have. ``features``: the values that did
    validate, stored in their columns; the rest stay null.
    """
    return Prediction.objects.create(
        status=Prediction.Status.REJECTED,
        channel=channel,
        raw_payload=bounded_payload(raw_payload),
        errors=storable_errors(errors),
        reference=(reference or "")[:REFERENCE_MAX_CHARS],
        **_attribution(owner, session_key),
        **(features or {}),
    )


def prediction_record_outcome(*, prediction: Prediction, actual_math_score: int) -> Prediction:
    """Record the real math score of a scored prediction, and when it was recorded.

    ``actual_math_score``: integer 0–100 (validated by the caller's form or serializer;
    the database constraint holds the upper bound). A second call replaces the first.
    Raises ``NotScoredError`` (409) when the prediction is not status ok.
    """
    if prediction.status != Prediction.Status.OK:
        raise NotScoredError(
            f"prediction {prediction.pk} was {prediction.status}, so it has no predicted "
            "score to compare with; only scored predictions (status ok) take an actual score"
        )
    prediction.actual_math_score = actual_math_score
    prediction.actual_recorded_at = timezone.now()
    with transaction.atomic():
        prediction.save(update_fields=["actual_math_score", "actual_recorded_at"])
        # Its hour's roll-up (if made) no longer holds this outcome: recompute it.
        HourlyRollup.objects.outcomes_changed(
            [(prediction.created_at, prediction.model_version_id)]
        )
    return prediction


@dataclass
class OutcomeReport:
    """What a file of real scores did, row by row.

    ``rows``: one dict per input row, in order: ``row`` (1-based), ``prediction_id``,
    ``reference``, ``actual_math_score``, ``result`` (``"recorded"``, ``"skipped"`` for a
    row whose score is blank, or ``"error"``) and ``message`` (for a recorded row whose
    reference matched several predictions, which one was used and why).
    """

    rows: list[dict] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(r["result"] == "recorded" for r in self.rows)

    @property
    def skipped(self) -> int:
        return sum(r["result"] == "skipped" for r in self.rows)

    @property
    def errors(self) -> int:
        return len(self.rows) - self.recorded - self.skipped


def prediction_record_outcomes(
    *,
    rows: list[OutcomeRow],
    user=None,
    session_key: str | None = None,
    on_ambiguous: str = "newest",
) -> OutcomeReport:
    """Record many real scores at once, each matched by prediction id or by reference.

    Only predictions the person may see are matched (``visible_to``), and only scored
    ones (status ok) take a score. A reference that matches several scored predictions
    (the same class uploaded twice) takes the newest of them, and the row's message says
    so, with the others' ids; with ``on_ambiguous="refuse"`` such a row is reported
    instead, never guessed. A row whose score is blank (a class's file filled in halfway)
    is ``"skipped"``, not an error. A prediction named by two rows keeps the first row's
    score; the second is reported. Good rows are written in one transaction whatever the
    bad ones say.
    """
    visible = Prediction.objects.visible_to(user, session_key)
    ids = {r.prediction_id for r in rows if not r.errors and r.prediction_id}
    references = {r.reference for r in rows if not r.errors and not r.prediction_id}
    fields = ("pk", "status", "reference", "created_at", "model_version_id")
    by_id = {p["pk"]: p for p in visible.filter(pk__in=ids).values(*fields)}
    by_reference: dict[str, list[dict]] = {}
    matches = visible.filter(reference__in=references).order_by("-created_at", "-pk")
    for p in matches.values(*fields):
        by_reference.setdefault(p["reference"], []).append(p)

    report = OutcomeReport()
    chosen: dict[int, int] = {}  # prediction id -> row number that set it
    for number, row in enumerate(rows, start=1):
        entry = {
            "row": number,
            "prediction_id": row.prediction_id,
            "reference": row.reference,
            "actual_math_score": row.actual_math_score,
        }
        if row.blank_score:
            report.rows.append({**entry, "result": "skipped", "message": "no score given"})
            continue
        target, message = _outcome_target(row, by_id, by_reference, on_ambiguous)
        if target is not None and target in chosen:
            target, message = None, f"prediction {target} was already set by row {chosen[target]}"
        if target is None:
            report.rows.append({**entry, "result": "error", "message": message})
            continue
        chosen[target] = number
        report.rows.append(
            {
                **entry,
                "prediction_id": target,
                "result": "recorded",
                "message": message or "recorded",
            }
        )

    now = timezone.now()
    updates = [
        Prediction(
            pk=r["prediction_id"], actual_math_score=r["actual_math_score"], actual_recorded_at=now
        )
        for r in report.rows
        if r["result"] == "recorded"
    ]
    found = {p["pk"]: p for p in by_id.values()}
    found.update((p["pk"], p) for matches in by_reference.values() for p in matches)
    with transaction.atomic():
        Prediction.objects.bulk_update(updates, ["actual_math_score", "actual_recorded_at"])
        HourlyRollup.objects.outcomes_changed(
            (found[u.pk]["created_at"], found[u.pk]["model_version_id"]) for u in updates
        )
    return report


def _outcome_target(
    row: OutcomeRow, by_id: dict, by_reference: dict, on_ambiguous: str = "newest"
) -> tuple[int | None, str]:
    """(prediction id, message) for a row: the id and ``""`` (or, for a reference matching
    several, why this one), or ``None`` and the reason none was chosen."""
    if row.errors:
        return None, error_text(row.errors)
    if row.prediction_id:
        found = by_id.get(row.prediction_id)
        if found is None:
            return None, f"no prediction {row.prediction_id} among yours"
        if row.reference and found["reference"] != row.reference:
            return None, (
                f"prediction {row.prediction_id} has reference '{found['reference']}', "
                f"not '{row.reference}'"
            )
        if found["status"] != Prediction.Status.OK:
            return None, f"prediction {row.prediction_id} was {found['status']}, not scored"
        return row.prediction_id, ""
    matches = by_reference.get(row.reference, [])
    scored = [p["pk"] for p in matches if p["status"] == Prediction.Status.OK]  # newest first
    if len(scored) == 1:
        return scored[0], ""
    if len(scored) > 1:
        others = sorted(scored[1:])
        listed = ", ".join(map(str, others[:10]))
        more = f" and {len(others) - 10} more" if len(others) > 10 else ""
        if on_ambiguous == "refuse":
            return None, (
                f"reference '{row.reference}' matches {len(scored)} scored predictions "
                f"({', '.join(map(str, sorted(scored)[:10]))}{more}); give the prediction id "
                "instead"
            )
        return scored[0], (
            f"reference '{row.reference}' matches {len(scored)} scored predictions: recorded "
            f"on the newest, {scored[0]} (not {listed}{more})"
        )
    if matches:
        return None, f"reference '{row.reference}' matches no scored prediction"
    return None, f"no prediction with reference '{row.reference}' among yours"


def prediction_claim_session(*, user, session_key: str) -> int:
    """Give a user the predictions and batches they made before logging in.

    Logging in starts a new session, which would hide what the visitor just scored.
    Returns the number of predictions claimed.
    """
    if not session_key or user is None or not user.is_authenticated:
        return 0
    with transaction.atomic():
        Batch.objects.filter(owner__isnull=True, session_key=session_key).update(
            owner=user, session_key=""
        )
        return Prediction.objects.filter(owner__isnull=True, session_key=session_key).update(
            owner=user, session_key=""
        )
