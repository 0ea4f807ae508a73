"""The dashboard's figures computed straight from the prediction rows, as a reference for
the roll-ups (tests only): every row of the window is read and counted in Python with
numpy, through none of the roll-up code (``predictor.monitoring.figures``/``rollups``)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, timedelta

import numpy as np

from ml import drift, schema
from predictor.models import Prediction
from predictor.monitoring.windows import Window

PROTECTED = ("gender", "race_ethnicity", "lunch", "test_preparation_course")


def rows_in(window: Window):
    rows = Prediction.objects.filter(created_at__lte=window.until)
    if window.since is not None:
        rows = rows.filter(created_at__gt=window.since)
    return list(rows.order_by("created_at", "id"))


def reference_report(window: Window, production) -> dict:
    """``{"traffic", "volume_totals", "rejection_reasons", "latency", "drift",
    "prediction_drift", "live", "fairness"}`` of ``window`` from its rows."""
    rows = rows_in(window)
    scored = [r for r in rows if r.status == "ok"]
    by_status = Counter(r.status for r in rows)
    by_channel = Counter(r.channel for r in rows)
    step = timedelta(hours=1) if window.bucket == "hour" else timedelta(days=1)
    per_bucket = Counter()
    for r in rows:
        moment = r.created_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        if step == timedelta(days=1):
            moment = moment.replace(hour=0)
        per_bucket[(moment.isoformat(), r.channel, r.status)] += 1

    rejected = [r for r in rows if r.status == "rejected"]
    reasons = Counter(key for r in rejected for key in (r.errors or {}))
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:8]

    latencies = np.array(
        [r.latency_ms for r in scored if r.latency_ms is not None and r.channel != "batch"]
    )
    latency = {"n": len(latencies)}
    for p in (50, 95, 99):
        latency[f"p{p}"] = float(np.percentile(latencies, p)) if len(latencies) else None

    input_drift = points_drift = fairness = None
    if production is not None:
        categorical = {
            name: Counter(getattr(r, name) for r in scored) for name in schema.CATEGORICAL_FEATURES
        }
        numeric = {
            name: dict(Counter(float(getattr(r, name)) for r in scored))
            for name in schema.NUMERIC_FEATURES
        }
        input_drift = drift.input_drift(production.reference_profile, categorical, numeric)
        served = [r for r in scored if r.model_version_id == production.pk]
        # Rounded half away from zero, as SQL's ROUND does for positive scores.
        points = Counter(float(np.floor(r.predicted_math_score + 0.5)) for r in served)
        points_drift = drift.prediction_drift(
            production.reference_profile.get("holdout_predictions", []), points
        )
        fairness = {}
        for name in PROTECTED:
            for group in schema.FEATURES_BY_NAME[name].choices:
                known = [
                    r
                    for r in served
                    if r.actual_math_score is not None and getattr(r, name) == group
                ]
                n = len(known)
                fairness[(name, group)] = {
                    "n": n,
                    "mae": np.mean(
                        [abs(r.actual_math_score - r.predicted_math_score) for r in known]
                    )
                    if n
                    else None,
                    "bias": np.mean([r.predicted_math_score - r.actual_math_score for r in known])
                    if n
                    else None,
                    "coverage": np.mean([_covered(r) for r in known]) if n else None,
                }

    live = {}
    for version_id in {r.model_version_id for r in scored if r.model_version_id}:
        mine = [r for r in scored if r.model_version_id == version_id]
        known = [r for r in mine if r.actual_math_score is not None]
        errors = np.array([r.actual_math_score - r.predicted_math_score for r in known])
        actual = np.array([r.actual_math_score for r in known], dtype=float)
        figures = {"served": len(mine), "n": len(known)}
        if known:
            figures["mae"] = float(np.mean(np.abs(errors)))
            figures["rmse"] = float(np.sqrt(np.mean(errors**2)))
            total = float(np.sum((actual - actual.mean()) ** 2))
            figures["r2"] = 1 - float(np.sum(errors**2)) / total if len(known) > 1 else None
            figures["coverage"] = float(np.mean([_covered(r) for r in known]))
        live[version_id] = figures

    return {
        "traffic": {"total": len(rows), "by_status": by_status, "by_channel": by_channel},
        "per_bucket": per_bucket,
        "rejection_reasons": [{"field": k, "n": n, "share": n / len(rejected)} for k, n in ranked],
        "latency": latency,
        "drift": input_drift,
        "prediction_drift": points_drift,
        "live": live,
        "fairness": fairness,
    }


def _covered(row) -> bool:
    low, high = row.interval_low, row.interval_high
    return low is not None and high is not None and low <= row.actual_math_score <= high
