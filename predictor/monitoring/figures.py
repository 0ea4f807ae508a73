"""The counts and sums a roll-up holds: what prediction attempts add up to, such that two
periods' figures add up to the figures of both (no database here, plain dicts).

A roll-up's ``figures`` (``HourlyRollup.figures``) is JSON of this shape, every key a
string and every leaf a number; ``merge`` adds one into another:

``{"attempts": {channel: {status: n}},``
``"rejections": {field: rejected attempts naming it in errors},``
``"latency": {bucket: n}`` (scored, non-batch attempts with a latency; ``latency_bucket``),
``"scores": {whole point: n}`` (scored attempts' predicted score, rounded half away from 0),
``"categories": {categorical feature: {category: n}}`` (scored attempts with all five),
``"numeric": {score feature: {value: n}}`` (scored attempts with that score),
``"accuracy": {"served", "n", "sum_abs_error", "sum_squared_error", "sum_actual",
"sum_actual_squared", "n_covered"}`` (scored attempts of a version: ``served``; those
with a recorded real score: the rest, errors as actual − predicted, in points),
``"groups": {protected attribute: {group: {"n", "sum_abs_error", "sum_error",
"n_covered"}}}`` (the same outcomes per group; ``sum_error`` is Σ predicted − actual, so
a positive bias means the model over-predicts the group).``}``
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from ml import schema
from predictor.models.monitoring import hour_start

# Live fairness (issue 14.8) is shown for these attributes, each group on its own.
LIVE_FAIRNESS_ATTRIBUTES = ("gender", "race_ethnicity", "lunch", "test_preparation_course")

# Latency buckets grow geometrically: bucket 0 holds [0, LATENCY_BASE_MS), bucket k ≥ 1
# holds [base·r^(k−1), base·r^k) with r = LATENCY_RATIO.
LATENCY_BASE_MS = 0.001
LATENCY_RATIO = 1.05
_LOG_RATIO = math.log(LATENCY_RATIO)

# The columns of Prediction that ``add_row`` reads, in the order of the tuples it takes.
ROW_FIELDS = (
    "created_at",
    "model_version_id",
    "channel",
    "status",
    "errors",
    "latency_ms",
    "predicted_math_score",
    "interval_low",
    "interval_high",
    "actual_math_score",
    *schema.CATEGORICAL_FEATURES,
    *schema.NUMERIC_FEATURES,
)
_CATEGORICAL_AT = tuple(ROW_FIELDS.index(name) for name in schema.CATEGORICAL_FEATURES)
_NUMERIC_AT = tuple(ROW_FIELDS.index(name) for name in schema.NUMERIC_FEATURES)
_GROUP_AT = tuple(ROW_FIELDS.index(name) for name in LIVE_FAIRNESS_ATTRIBUTES)


def latency_bucket(milliseconds: float) -> int:
    """The histogram bucket of a latency (see ``LATENCY_RATIO``)."""
    if milliseconds < LATENCY_BASE_MS:
        return 0
    return int(math.log(milliseconds / LATENCY_BASE_MS) / _LOG_RATIO) + 1


def latency_bucket_value(bucket: int) -> float:
    """The value a bucket stands for: the geometric middle of its range (half the base for
    bucket 0), in milliseconds."""
    if bucket <= 0:
        return LATENCY_BASE_MS / 2
    return LATENCY_BASE_MS * LATENCY_RATIO ** (bucket - 1) * math.sqrt(LATENCY_RATIO)


def latency_percentiles(histogram: Mapping[str, int], fractions: Iterable[float]) -> dict:
    """Percentiles of the latencies counted in ``histogram`` (``{bucket: n}``), in ms:
    ``{fraction: value or None}``.

    Each latency stands for its bucket's ``latency_bucket_value`` and the percentile
    interpolates linearly between order statistics (numpy's default, PostgreSQL's
    ``percentile_cont``). Bucket error: every latency of at least ``LATENCY_BASE_MS``
    (0.001 ms) is replaced by a value within a factor √1.05 of it, so each order statistic
    and any interpolation between two of them is within 2.5 % of the exact figure (a value
    on a bucket edge may land in the upper neighbour by float rounding: 5 % at worst);
    latencies below 0.001 ms are off by at most 0.0005 ms.
    """
    ordered = sorted((int(k), n) for k, n in histogram.items() if n)
    n = sum(count for _, count in ordered)
    result = {}
    for fraction in fractions:
        if not n:
            result[fraction] = None
            continue
        position = (n - 1) * fraction
        below = int(position)
        low = _order_statistic(ordered, below)
        high = _order_statistic(ordered, min(below + 1, n - 1))
        result[fraction] = low + (high - low) * (position - below)
    return result


def _order_statistic(ordered: list[tuple[int, int]], index: int) -> float:
    seen = 0
    for bucket, count in ordered:
        seen += count
        if index < seen:
            return latency_bucket_value(bucket)
    return latency_bucket_value(ordered[-1][0])


def whole_point(value: float) -> int:
    """A predicted score rounded to a whole point, halves away from zero (as SQL ROUND)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def add_row(figures: dict, row: tuple) -> None:
    """Count one prediction attempt (a tuple of ``ROW_FIELDS``) into ``figures``."""
    channel, status, errors = row[2], row[3], row[4]
    attempts = figures.setdefault("attempts", {}).setdefault(channel, {})
    attempts[status] = attempts.get(status, 0) + 1
    if status == "rejected":
        rejections = figures.setdefault("rejections", {})
        for field in errors if isinstance(errors, dict) else ():
            rejections[field] = rejections.get(field, 0) + 1
        return
    if status != "ok":
        return
    latency, predicted = row[5], row[6]
    if latency is not None and latency >= 0 and channel != "batch":
        _count(figures.setdefault("latency", {}), str(latency_bucket(latency)))
    if predicted is not None:
        _count(figures.setdefault("scores", {}), str(whole_point(predicted)))
    if all(row[i] is not None for i in _CATEGORICAL_AT):
        categories = figures.setdefault("categories", {})
        for name, i in zip(schema.CATEGORICAL_FEATURES, _CATEGORICAL_AT, strict=True):
            _count(categories.setdefault(name, {}), row[i])
    numeric = figures.setdefault("numeric", {})
    for name, i in zip(schema.NUMERIC_FEATURES, _NUMERIC_AT, strict=True):
        if row[i] is not None:
            _count(numeric.setdefault(name, {}), str(int(row[i])))
    if row[1] is None:
        return
    accuracy = figures.setdefault("accuracy", {"served": 0})
    accuracy["served"] += 1
    actual = row[9]
    if actual is None or predicted is None:
        return
    error = actual - predicted
    low, high = row[7], row[8]
    covered = int(low is not None and high is not None and low <= actual <= high)
    for key, value in (
        ("n", 1),
        ("sum_abs_error", abs(error)),
        ("sum_squared_error", error * error),
        ("sum_actual", float(actual)),
        ("sum_actual_squared", float(actual * actual)),
        ("n_covered", covered),
    ):
        accuracy[key] = accuracy.get(key, 0) + value
    groups = figures.setdefault("groups", {})
    for name, i in zip(LIVE_FAIRNESS_ATTRIBUTES, _GROUP_AT, strict=True):
        if row[i] is None:
            continue
        group = groups.setdefault(name, {}).setdefault(row[i], {})
        for key, value in (
            ("n", 1),
            ("sum_abs_error", abs(error)),
            ("sum_error", -error),
            ("n_covered", covered),
        ):
            group[key] = group.get(key, 0) + value


def _count(counts: dict, key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


# How deep each part of the figures nests before its numbers (``merge`` walks no further).
_DEPTH = {
    "attempts": 2,
    "rejections": 1,
    "latency": 1,
    "scores": 1,
    "categories": 2,
    "numeric": 2,
    "accuracy": 1,
    "groups": 3,
}


def merge(into: dict, figures: Mapping) -> dict:
    """Add ``figures`` into ``into`` (nested dicts of numbers, summed leaf by leaf);
    returns ``into``. The dashboard merges about two roll-ups per hour of its window, so
    this knows each part's depth rather than testing every value's type."""
    for key, value in figures.items():
        depth = _DEPTH.get(key)
        if depth is None:  # a part this code does not know: walk it generically
            _merge_any(into.setdefault(key, {}), value)
        else:
            _merge_at(into.setdefault(key, {}), value, depth)
    return into


def _merge_at(into: dict, figures: Mapping, depth: int) -> None:
    if depth == 1:
        get = into.get
        for key, value in figures.items():
            into[key] = get(key, 0) + value
        return
    for key, value in figures.items():
        inner = into.get(key)
        if inner is None:
            inner = into[key] = {}
        _merge_at(inner, value, depth - 1)


def _merge_any(into: dict, figures: Mapping) -> None:
    for key, value in figures.items():
        if isinstance(value, Mapping):
            _merge_any(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value


def attempts_total(figures: Mapping) -> int:
    """All attempts counted in ``figures``."""
    return sum(sum(by_status.values()) for by_status in figures.get("attempts", {}).values())


def figures_by_hour_and_version(rows: Iterable[tuple]) -> dict[tuple[datetime, int | None], dict]:
    """``{(hour start, model_version_id): figures}`` of prediction attempts given as tuples
    of ``ROW_FIELDS`` (``created_at`` aware)."""
    result: dict[tuple[datetime, int | None], dict] = {}
    for row in rows:
        key = (hour_start(row[0]), row[1])
        figures = result.get(key)
        if figures is None:
            figures = result[key] = {}
        add_row(figures, row)
    return result
