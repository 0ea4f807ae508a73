"""Per-group error, bias and interval coverage on held-out rows, with and without each
protected attribute.

For each protected attribute (default ``gender``, ``race_ethnicity``, ``lunch``) and each
of its groups, on the held-out rows that no choice, fit or calibration saw:

- ``count``: rows in the group;
- ``mae``: mean absolute error, points;
- ``bias``: mean signed error, points, **predicted − actual**: positive means the model
  over-predicts the group's math scores (predicts higher than they are), negative means
  it under-predicts them;
- ``coverage``: fraction of the group's real scores inside their interval (nominal
  ``level``, 0.9).

Each figure carries a bootstrap confidence interval: the group's rows are resampled
with replacement ``N_RESAMPLES`` (1,000) times, and the interval is the 2.5th and 97.5th
percentiles of the resampled figure (the percentile bootstrap, Efron & Tibshirani 1993,
*An Introduction to the Bootstrap*, ch. 13). Resampling within the group keeps its size
fixed, so the interval reflects the group's own sampling noise. The draws are seeded per
(attribute, group), so the model and its variants are resampled on the same rows.

"Without this attribute" variants: for each protected attribute the model uses,
``ml.train`` refits the winning pipeline (same algorithm and hyperparameters) on the same
training rows without it, calibrates its intervals the same way, and scores the same
held-out rows. Dropping an attribute ("fairness through unawareness") can *create* bias
when other inputs differ by group: on the public data, without gender a model
over-predicts girls' math scores by about 5 points, because girls' reading and writing
scores are higher. The report shows both, so that a school sees the trade-off.

Plain-words sentences are written only when a gap is meaningful:
- bias: ``|bias| >= BIAS_SENTENCE_POINTS`` (2 points) *and* its confidence interval
  excludes 0 (a group of 70 rows has a bias standard error of about 0.7 points); for a
  variant, also only when its bias differs from the model's by at least
  ``BIAS_CHANGE_POINTS`` (1 point), so that a variant does not repeat the model's own;
- accuracy of a variant: held-out MAE changes by at least ``MAE_SENTENCE_POINTS`` (0.5);
- coverage: a group of at least ``MIN_COUNT_FOR_SENTENCE`` (30) rows covered less than
  ``COVERAGE_SENTENCE_FLOOR`` (0.83, the issue's floor: 0.9 less about two sampling SDs
  for a group of 70).

Why our own lines rather than fairlearn's ``MetricFrame``: the figures are four group
means over per-row arrays we already hold (errors and inside-the-interval flags), a
dozen lines of numpy, tested in ``tests/ml/test_fairness.py``. ``MetricFrame`` would add a
pinned dependency (and its pandas/scikit-learn compatibility window) to the model
artifact's environment for that, and its bootstrap resamples the whole table, so a
group's size varies between resamples and a small group's interval mixes in the noise of
its own count; ours resamples within the group.

The report (``fairness_report``) is a JSON-ready dict::

    {
      "version": 1,
      "level": 0.9,                      # nominal interval coverage
      "interval_method": "mondrian",     # intervals the coverage figures measure
      "sign_convention": "...",         # SIGN_CONVENTION, in words
      "protected_attributes": ["gender", "race_ethnicity", "lunch"],
      "features": [...],                 # features the model uses
      "rows": 200,                       # held-out rows
      "bootstrap": {"resamples": 1000, "confidence": 0.95, "seed": 42,
                    "method": "percentile; rows resampled within each group"},
      "thresholds": {"bias_points": 2.0, "bias_change_points": 1.0, "mae_points": 0.5,
                     "coverage_floor": 0.83, "min_count": 30},
      "model": {
        "overall": {"count", "mae", "rmse", "r2", "bias", "coverage", "width"},
        "groups": {attribute: [{"group": "female", "count": 104,
                                "mae": {"estimate", "low", "high"},
                                "bias": {"estimate", "low", "high"},
                                "coverage": {"estimate", "low", "high"}}, ...]},
      },
      "without": {attribute: {"features": [...], "overall": {...}, "groups": {...}}},
      "sentences": ["Without gender, the model would over-predict ... by about 5 points ..."],
    }

``without`` has an entry per protected attribute the model uses (none for one it was
trained without: its own figures already show that case). Groups are in schema order;
a group with no held-out row is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ml import schema
from ml.errors import DataError

DEFAULT_PROTECTED: tuple[str, ...] = ("gender", "race_ethnicity", "lunch")
N_RESAMPLES = 1000
CONFIDENCE = 0.95
BIAS_SENTENCE_POINTS = 2.0
BIAS_CHANGE_POINTS = 1.0
MAE_SENTENCE_POINTS = 0.5
COVERAGE_SENTENCE_FLOOR = 0.83
MIN_COUNT_FOR_SENTENCE = 30
REPORT_VERSION = 1

SIGN_CONVENTION = (
    "bias is the mean of predicted minus actual math score, in points: positive means the "
    "model over-predicts the group (predicts higher scores than the students got), "
    "negative means it under-predicts"
)


def validate_attributes(attributes: Sequence[str]) -> tuple[str, ...]:
    """The protected attributes as a tuple, in the order given. Raises ``DataError`` naming
    one that is not a categorical feature of ``ml.schema`` and listing those that are."""
    attributes = tuple(attributes)
    for name in attributes:
        if name not in schema.CATEGORICAL_FEATURES:
            raise DataError(
                f"'{name}' cannot be a protected attribute; choose from "
                f"{', '.join(schema.CATEGORICAL_FEATURES)}"
            )
    return attributes


def _interval(values: np.ndarray, estimate: float, confidence: float) -> dict:
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return {"estimate": float(estimate), "low": float(low), "high": float(high)}


def overall_metrics(actual, point, low, high) -> dict:
    """Figures over all rows: ``count``, ``mae``, ``rmse``, ``r2``, ``bias`` (predicted −
    actual, points), ``coverage`` (fraction inside ``[low, high]``) and ``width`` (mean
    ``high − low``, points). Arrays of shape ``(n,)``."""
    actual, point = np.asarray(actual, dtype=float), np.asarray(point, dtype=float)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    errors = point - actual
    total = float(((actual - actual.mean()) ** 2).sum())
    return {
        "count": len(actual),
        "mae": float(np.abs(errors).mean()),
        "rmse": float(np.sqrt((errors**2).mean())),
        "r2": float(1 - (errors**2).sum() / total) if total > 0 else None,
        "bias": float(errors.mean()),
        "coverage": float(((actual >= low) & (actual <= high)).mean()),
        "width": float((high - low).mean()),
    }


def group_metrics(
    groups: pd.DataFrame,
    actual,
    point,
    low,
    high,
    attributes: Sequence[str],
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> dict[str, list[dict]]:
    """Per-group ``count``, ``mae``, ``bias`` and ``coverage`` with bootstrap intervals.

    ``groups``: a frame with a column per attribute, ``n`` rows; ``actual``, ``point``,
    ``low``, ``high``: shape ``(n,)``, points. Returns ``{attribute: [row, ...]}`` with the
    rows of the module docstring, groups in schema order. ``bias`` is predicted − actual.
    """
    actual, point = np.asarray(actual, dtype=float), np.asarray(point, dtype=float)
    errors = point - actual
    inside = ((actual >= np.asarray(low)) & (actual <= np.asarray(high))).astype(float)
    result: dict[str, list[dict]] = {}
    for a_index, attribute in enumerate(attributes):
        values = groups[attribute].astype(str).to_numpy()
        rows = []
        for g_index, group in enumerate(schema.FEATURES_BY_NAME[attribute].choices):
            mask = values == group
            n = int(mask.sum())
            if n == 0:
                continue
            e, covered = errors[mask], inside[mask]
            # Seeded per (attribute, group): a variant is resampled on the very same rows.
            rng = np.random.default_rng([seed, a_index, g_index])
            draws = rng.integers(0, n, size=(n_resamples, n))
            rows.append(
                {
                    "group": group,
                    "count": n,
                    "mae": _interval(np.abs(e)[draws].mean(axis=1), np.abs(e).mean(), confidence),
                    "bias": _interval(e[draws].mean(axis=1), e.mean(), confidence),
                    "coverage": _interval(covered[draws].mean(axis=1), covered.mean(), confidence),
                }
            )
        result[attribute] = rows
    return result


def group_phrase(attribute: str, group: str) -> str:
    """How a sentence names a group: ``"female students"``, ``"students in group A"``,
    ``"students with free/reduced lunch"``."""
    if attribute == "gender":
        return f"{group} students"
    if attribute == "race_ethnicity":
        return f"students in {group}"
    if attribute == "lunch":
        return f"students with {group} lunch"
    if attribute == "test_preparation_course":
        if group == "completed":
            return "students who completed the test preparation course"
        return "students with no test preparation course"
    label = schema.FEATURES_BY_NAME[attribute].label.lower()
    return f"students whose {label} is {group}"


def _label(attribute: str) -> str:
    return "race/ethnicity group" if attribute == "race_ethnicity" else attribute.replace("_", " ")


def _bias_is_meaningful(bias: Mapping) -> bool:
    excludes_zero = bias["low"] > 0 or bias["high"] < 0
    return abs(bias["estimate"]) >= BIAS_SENTENCE_POINTS and excludes_zero


def _bias_words(estimate: float) -> str:
    return "over-predict" if estimate > 0 else "under-predict"


def sentences(report: Mapping) -> list[str]:
    """Plain-words findings from a report's figures, only where a gap is meaningful (see
    the module docstring's thresholds). Model first, then each variant."""
    lines: list[str] = []
    model_groups = report["model"]["groups"]
    for attribute, rows in model_groups.items():
        for row in rows:
            if row["count"] >= MIN_COUNT_FOR_SENTENCE and _bias_is_meaningful(row["bias"]):
                lines.append(
                    f"The model {_bias_words(row['bias']['estimate'])}s the math scores of "
                    f"{group_phrase(attribute, row['group'])} by about "
                    f"{abs(row['bias']['estimate']):.0f} points."
                )
            coverage = row["coverage"]["estimate"]
            if row["count"] >= MIN_COUNT_FOR_SENTENCE and coverage < COVERAGE_SENTENCE_FLOOR:
                lines.append(
                    f"The model's {report['level']:.0%} ranges hold for only {coverage:.0%} of "
                    f"{group_phrase(attribute, row['group'])}."
                )
    overall = report["model"]["overall"]
    for dropped, variant in report["without"].items():
        label = _label(dropped)
        before = {(a, r["group"]): r for a, rows in model_groups.items() for r in rows}
        for attribute, rows in variant["groups"].items():
            for row in rows:
                if row["count"] < MIN_COUNT_FOR_SENTENCE or not _bias_is_meaningful(row["bias"]):
                    continue
                with_it = before[(attribute, row["group"])]["bias"]["estimate"]
                if abs(row["bias"]["estimate"] - with_it) < BIAS_CHANGE_POINTS:
                    continue
                lines.append(
                    f"Without {label}, the model would {_bias_words(row['bias']['estimate'])} "
                    f"the math scores of {group_phrase(attribute, row['group'])} by about "
                    f"{abs(row['bias']['estimate']):.0f} points (with it: {with_it:+.1f})."
                )
        change = variant["overall"]["mae"] - overall["mae"]
        if abs(change) >= MAE_SENTENCE_POINTS:
            direction = "rise" if change > 0 else "fall"
            lines.append(
                f"Without {label}, the typical error would {direction} from "
                f"{overall['mae']:.1f} to {variant['overall']['mae']:.1f} points "
                f"(R² {overall['r2']:.2f} → {variant['overall']['r2']:.2f})."
            )
    return lines


def fairness_report(
    holdout: pd.DataFrame,
    *,
    point,
    low,
    high,
    features: Sequence[str],
    variants: Mapping[str, Mapping] | None = None,
    attributes: Sequence[str] = DEFAULT_PROTECTED,
    level: float = 0.9,
    interval_method: str = "marginal",
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> dict:
    """The JSON-ready report of the module docstring.

    ``holdout``: held-out rows with the attributes' columns and ``math_score``, ``n`` rows.
    ``point``, ``low``, ``high``: the model's predictions and interval ends, shape ``(n,)``.
    ``variants``: ``{dropped attribute: {"features", "point", "low", "high"}}`` for the
    refits without each attribute (``ml.train`` builds them). Raises ``DataError`` for a
    protected attribute that is not a categorical schema feature.
    """
    attributes = validate_attributes(attributes)
    actual = holdout[schema.TARGET].to_numpy(dtype=float)
    options = {"seed": seed, "n_resamples": n_resamples, "confidence": confidence}

    def block(p, lo, hi) -> dict:
        return {
            "overall": overall_metrics(actual, p, lo, hi),
            "groups": group_metrics(holdout, actual, p, lo, hi, attributes, **options),
        }

    report = {
        "version": REPORT_VERSION,
        "level": level,
        "interval_method": interval_method,
        "sign_convention": SIGN_CONVENTION,
        "protected_attributes": list(attributes),
        "features": list(features),
        "rows": len(holdout),
        "bootstrap": {
            "resamples": n_resamples,
            "confidence": confidence,
            "seed": seed,
            "method": "percentile; rows resampled within each group",
        },
        "thresholds": {
            "bias_points": BIAS_SENTENCE_POINTS,
            "bias_change_points": BIAS_CHANGE_POINTS,
            "mae_points": MAE_SENTENCE_POINTS,
            "coverage_floor": COVERAGE_SENTENCE_FLOOR,
            "min_count": MIN_COUNT_FOR_SENTENCE,
        },
        "model": block(point, low, high),
        "without": {
            dropped: {
                "features": list(v["features"]),
                **block(v["point"], v["low"], v["high"]),
            }
            for dropped, v in (variants or {}).items()
        },
    }
    report["sentences"] = sentences(report)
    return report
