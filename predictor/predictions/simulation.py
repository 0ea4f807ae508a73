"""Synthetic production traffic, so the monitoring dashboard can be seen and benchmarked.

A development and benchmarking tool (``manage.py simulate_traffic``, ``bench/dashboard.py``),
never called by a request. It writes history that looks like a school year of use: a
mix of channels, rejected and failed attempts, latency with a tail, an outage, real
scores recorded days later for part of the predictions and, on request, a drifted
period at the end. Every row it writes carries a ``reference`` starting with ``sim:``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from ml import schema, synth
from predictor.errors import NoModelError
from predictor.models import ModelVersion, Prediction
from predictor.predictions.batches import BULK_CREATE_BATCH_SIZE
from predictor.predictions.services import score_columns
from predictor.registry import serving

CHANNEL_SHARES = {"api": 0.5, "form": 0.3, "batch": 0.2}
REJECTION_RATE = {"api": 0.05, "form": 0.08, "batch": 0.03}
BACKGROUND_FAILURE_RATE = 0.002
OUTAGE_FAILURE_RATE = 0.6
BATCH_SIZE = 30
# Kinds of bad input and how often each occurs among rejections: (field, bad value,
# message, share). Messages are those the serializer gives.
REJECTIONS = (
    ("reading_score", 104, "must be between 0 and 100", 0.35),
    ("writing_score", -3, "must be between 0 and 100", 0.2),
    (
        "race_ethnicity",
        "group F",
        '"group F" is not one of: group A, group B, group C, group D, group E',
        0.15,
    ),
    ("lunch", None, "This field is required.", 0.12),
    (
        "parental_level_of_education",
        "phd",
        '"phd" is not one of: some high school, high '
        "school, some college, associate's degree, bachelor's degree, master's degree",
        0.1,
    ),
    ("reading_score", "seventy", "must be a whole number", 0.08),
)
# The drifted intake: lower reading and writing scores, more free/reduced lunch, more
# completed test preparation, and math eight points below what the scores imply (a
# harder exam), so live accuracy degrades as well as the inputs shifting.
DRIFT_SCORE_SHIFT = -10
DRIFT_MATH_SHIFT = -8
DRIFT_FLIP_LUNCH = 0.35
DRIFT_FLIP_PREPARATION = 0.4


def traffic_simulate(
    *,
    rows: int,
    days: float = 30.0,
    drift: bool = False,
    drift_days: float | None = None,
    outcome_share: float = 0.3,
    seed: int = 0,
    end: datetime | None = None,
    model_version: ModelVersion | None = None,
    outcomes_before: datetime | None = None,
) -> dict:
    """Write ``rows`` simulated prediction attempts spread over the ``days`` before ``end``.

    ``drift``: the last ``drift_days`` (default a quarter of ``days``) come from a shifted
    population. ``outcome_share``: the fraction of scored predictions older than two days
    that get a real score (``outcomes_before``: older than this instead, e.g. when history
    is written a day at a time). ``model_version``: the version that scores (default
    production).
    Returns counts ``{"rows", "ok", "rejected", "failed", "outcomes", "drifted"}``.
    Raises ``NoModelError`` when no version is given and none is in production.
    """
    version = model_version or ModelVersion.objects.production().first()
    if version is None:
        raise NoModelError()
    model = serving.load(version.pk).model
    rng = np.random.default_rng(seed)
    end = end or timezone.now()
    start = end - timedelta(days=days)

    created = np.sort(_timestamps(rng, rows, start, end))
    students = synth.generate(n_rows=rows, seed=seed).reset_index(drop=True)
    drift_start = end - timedelta(days=drift_days if drift_days is not None else days / 4)
    drifted = np.array([drift and t >= drift_start for t in created])
    students = _shift(students, drifted, rng)

    channel = rng.choice(list(CHANNEL_SHARES), size=rows, p=list(CHANNEL_SHARES.values()))
    outage_hour = start + timedelta(hours=int(rng.integers(0, max(1, int(days * 24)))))
    in_outage = np.array([outage_hour <= t < outage_hour + timedelta(hours=1) for t in created])
    failed = rng.random(rows) < np.where(in_outage, OUTAGE_FAILURE_RATE, BACKGROUND_FAILURE_RATE)
    rejected = ~failed & (rng.random(rows) < np.vectorize(REJECTION_RATE.get)(channel))
    ok = ~failed & ~rejected

    scored = model.predict(students.loc[ok, list(schema.FEATURE_NAMES)])
    latency = rng.lognormal(np.log(3.0), 0.45, rows) + np.where(in_outage, 40.0, 0.0)
    latency = np.where(channel == "batch", latency / 8, latency)
    has_outcome = ok & (rng.random(rows) < outcome_share)
    outcome_cutoff = outcomes_before or end - timedelta(days=2)
    has_outcome &= np.array([t < outcome_cutoff for t in created])
    recorded_after = rng.uniform(1, 10, rows)

    records = students.to_dict("records")
    batch_ids: dict[int, uuid.UUID] = {}
    objects = []
    scored_index = 0
    batch_seen = 0
    for i in range(rows):
        features = {name: _plain(records[i][name]) for name in schema.FEATURE_NAMES}
        row = {
            "created_at": created[i],
            "channel": channel[i],
            "reference": f"sim:{'drift' if drifted[i] else 'base'}:class-{i % 40:02d}",
            "session_key": f"sim{i % 500:04d}" if channel[i] == "form" else "",
            "raw_payload": dict(features),
        }
        if channel[i] == "batch":
            group = batch_seen // BATCH_SIZE
            # A fresh id, not one drawn from the seed: history is built in phases, often
            # with the same seed, and a batch row is unique by (batch_id, batch_row).
            batch_ids.setdefault(group, uuid.uuid4())
            row.update(batch_id=batch_ids[group], batch_row=batch_seen % BATCH_SIZE + 1)
            batch_seen += 1
        if rejected[i]:
            row.update(_rejection(rng, features))
        elif failed[i]:
            row.update(
                status=Prediction.Status.FAILED,
                errors={"model": f"model v{version.version} cannot be served: timeout"},
                **features,
            )
        else:
            result = scored.row(scored_index)
            scored_index += 1
            row.update(
                status=Prediction.Status.OK,
                **score_columns(result),
                model_version_id=version.pk,
                latency_ms=float(latency[i]),
                **features,
            )
            if has_outcome[i]:
                row.update(
                    actual_math_score=int(records[i][schema.TARGET]),
                    actual_recorded_at=min(
                        created[i] + timedelta(days=float(recorded_after[i])), end
                    ),
                )
        objects.append(Prediction(**row))

    with transaction.atomic():
        Prediction.objects.bulk_create(objects, batch_size=BULK_CREATE_BATCH_SIZE)
    return {
        "rows": rows,
        "ok": int(ok.sum()),
        "rejected": int(rejected.sum()),
        "failed": int(failed.sum()),
        "outcomes": int(has_outcome.sum()),
        "drifted": int(drifted.sum()),
    }


def _timestamps(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> np.ndarray:
    """School-day traffic: weekdays busier than weekends, hours peaking mid-morning."""
    span_hours = max(1, int((end - start).total_seconds() // 3600))
    hours = np.arange(span_hours)
    moments = [start + timedelta(hours=int(h)) for h in hours]
    hour_of_day = np.array([m.hour for m in moments])
    weekday = np.array([m.weekday() < 5 for m in moments])
    weight = (0.15 + np.exp(-0.5 * ((hour_of_day - 11) / 3.0) ** 2)) * np.where(weekday, 1, 0.3)
    chosen = rng.choice(hours, size=n, p=weight / weight.sum())
    seconds = rng.uniform(0, 3600, n)
    latest = (end - start).total_seconds() - 1
    offsets = np.minimum(chosen * 3600 + seconds, latest)
    return np.array([start + timedelta(seconds=float(s)) for s in offsets], dtype=object)


def _shift(students: pd.DataFrame, drifted: np.ndarray, rng) -> pd.DataFrame:
    if not drifted.any():
        return students
    students = students.copy()
    n = int(drifted.sum())
    for name in schema.NUMERIC_FEATURES:
        shifted = students.loc[drifted, name] + DRIFT_SCORE_SHIFT
        students.loc[drifted, name] = np.clip(shifted, schema.SCORE_MIN, schema.SCORE_MAX)
    math = students.loc[drifted, schema.TARGET] + int(0.9 * DRIFT_SCORE_SHIFT) + DRIFT_MATH_SHIFT
    students.loc[drifted, schema.TARGET] = np.clip(math, schema.SCORE_MIN, schema.SCORE_MAX)
    flip_lunch = drifted.copy()
    flip_lunch[drifted] = rng.random(n) < DRIFT_FLIP_LUNCH
    students.loc[flip_lunch, "lunch"] = "free/reduced"
    flip_prep = drifted.copy()
    flip_prep[drifted] = rng.random(n) < DRIFT_FLIP_PREPARATION
    students.loc[flip_prep, "test_preparation_course"] = "completed"
    return students


def _rejection(rng, features: dict) -> dict:
    shares = np.array([r[3] for r in REJECTIONS])
    field, bad, message, _ = REJECTIONS[int(rng.choice(len(REJECTIONS), p=shares / shares.sum()))]
    payload = dict(features)
    if bad is None:
        payload.pop(field)
    else:
        payload[field] = bad
    kept = {k: v for k, v in features.items() if k != field}
    return {
        "status": Prediction.Status.REJECTED,
        "errors": {field: message},
        "raw_payload": payload,
        **kept,
    }


def _plain(value):
    return value.item() if hasattr(value, "item") else value
