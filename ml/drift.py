"""Reference profiles, drift statistics and live accuracy, from aggregated counts.

The reference profile is stored with each model version at training time: the category
counts of each categorical feature and the values of each score in the training rows
(integers 0–100, so a few kilobytes), plus the model's predictions on the held-out rows.
Live traffic arrives here already aggregated by the database (counts per category, per
score value, per rounded prediction; sums of errors), so no function needs the rows.

Methods and thresholds
- Which test, and ``p < 0.05``: Evidently's default drift method for a small reference
  (≤ 1,000 rows, as ours is): chi-square for categorical features, two-sample
  Kolmogorov–Smirnov for numeric ones, drift when the p-value is below 0.05; the data set
  drifts when half or more of its features do (``drift_share`` 0.5). Evidently docs,
  "Data drift algorithm" (https://docs-old.evidentlyai.com/reference/data-drift-algorithm)
  and ``evidently/legacy/calculations/stattests``. One deliberate difference: our
  chi-square is the test of homogeneity on the 2×k table (reference vs live counts),
  where Evidently's is a goodness-of-fit test that treats the reference proportions as
  exact. The reference is itself a sample of ~800 rows, and ignoring its noise flags
  drift too eagerly once live counts grow large. For two categories this equals the
  two-proportion z-test Evidently uses for binary features (χ² = z²).
- PSI (population stability index), Σ (live% − ref%)·ln(live% / ref%), with the rule of
  thumb < 0.1 stable, 0.1–0.25 moderate shift (warn), ≥ 0.25 significant shift (alert):
  Siddiqi, *Credit Risk Scorecards* (Wiley, 2006), and Yurdakul, "Statistical properties
  of the population stability index" (Western Michigan University, 2018). Numeric
  features are binned at the reference deciles, as in Siddiqi; an empty bin counts as
  a proportion of 0.0001, as Evidently's ``get_binned_data`` does, so the log is finite.
- One status per feature (``feature_status``), reconciling the two: ``"drift"`` when the
  test is significant (p < 0.05) AND PSI ≥ 0.1, ``"watch"`` when only one of them says
  so, ``"ok"`` when neither does. The test alone flags shifts too small to matter once
  live counts run into thousands; PSI alone swings on a small sample. A feature counts
  as drifted (``drifted``, and towards the data set's ``drift_share``) only when both
  agree, so the dashboard never shows a red "drift" test beside a green PSI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ml import schema

ALPHA = 0.05
PSI_WARN = 0.10
PSI_ALERT = 0.25
PSI_EMPTY_BIN = 0.0001
DATASET_DRIFT_SHARE = 0.5
# Below this many live rows a test has too little power to mean anything, and PSI swings
# on a handful of rows; the dashboard says "not enough data" instead of a verdict.
MIN_LIVE_ROWS = 30
PSI_QUANTILE_BINS = 10
# Live accuracy alert: the production model's live MAE exceeds its held-out MAE by half
# again, once at least MIN_OUTCOMES real scores back the figure. Held-out MAE comes from
# ~200 rows, so smaller gaps are within the noise of either figure.
ACCURACY_ALERT_RATIO = 1.5
MIN_OUTCOMES = 30

NOT_ENOUGH_DATA = "not enough data"
DRIFT = "drift"
NO_DRIFT = "no drift"
# A feature's status (``feature_status``): DRIFT, WATCH, OK or NOT_ENOUGH_DATA.
WATCH = "watch"
OK = "ok"


def reference_profile(train_frame: pd.DataFrame, holdout_predictions: np.ndarray) -> dict:
    """Build the JSON-ready reference profile.

    ``train_frame``: clean training rows (schema feature columns).
    ``holdout_predictions``: shape ``(n_test,)``, points.
    Returns ``{"n_rows", "categorical": {feature: {category: count}},
    "numeric": {feature: [values]}, "holdout_predictions": [points]}``.
    """
    categorical = {
        name: {
            category: int((train_frame[name] == category).sum())
            for category in schema.FEATURES_BY_NAME[name].choices
        }
        for name in schema.CATEGORICAL_FEATURES
    }
    numeric = {name: train_frame[name].astype(int).tolist() for name in schema.NUMERIC_FEATURES}
    return {
        "n_rows": len(train_frame),
        "categorical": categorical,
        "numeric": numeric,
        "holdout_predictions": [round(float(p), 3) for p in holdout_predictions],
    }


def psi(reference_counts: Sequence[float], live_counts: Sequence[float]) -> float:
    """Population stability index of two histograms over the same bins.

    ``reference_counts``, ``live_counts``: counts (or proportions) per bin, same length,
    each with a positive total. Empty bins count as a proportion of ``PSI_EMPTY_BIN``.
    Returns Σ (live − ref)·ln(live / ref) over the bin proportions (0 when identical).
    """
    ref = _proportions(reference_counts)
    live = _proportions(live_counts)
    return float(np.sum((live - ref) * np.log(live / ref)))


def _proportions(counts: Sequence[float]) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        raise ValueError("a histogram needs a positive total to compare")
    shares = counts / total
    return np.where(shares == 0, PSI_EMPTY_BIN, shares)


def psi_level(value: float) -> str:
    """``"ok"`` below 0.1, ``"warn"`` below 0.25, else ``"alert"`` (Siddiqi 2006)."""
    if value >= PSI_ALERT:
        return "alert"
    if value >= PSI_WARN:
        return "warn"
    return "ok"


def feature_status(p_value: float | None, index: float | None) -> str:
    """One status from a test's p-value and a PSI: ``"drift"`` when p < ``ALPHA`` and PSI ≥
    ``PSI_WARN``, ``"watch"`` when exactly one of the two holds, ``"ok"`` when neither does,
    ``"not enough data"`` when either is ``None`` (too few live rows to compute them)."""
    if p_value is None or index is None:
        return NOT_ENOUGH_DATA
    signals = (p_value < ALPHA) + (index >= PSI_WARN)
    return (OK, WATCH, DRIFT)[signals]


def chi_square(
    reference_counts: Sequence[int], live_counts: Sequence[int]
) -> tuple[float, float, int]:
    """Chi-square test of homogeneity of two samples of one categorical feature.

    ``reference_counts``, ``live_counts``: counts per category, same order. Categories
    empty in both samples are dropped. Returns ``(statistic, p_value, dof)``; with one
    category left there is nothing to test and the result is ``(0.0, 1.0, 0)``.
    No Yates correction, so the 2-category case is the two-proportion z-test squared.
    """
    table = np.array([reference_counts, live_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return float(statistic), float(p_value), int(dof)


def ks_from_counts(
    reference: Mapping[float, int], live: Mapping[float, int]
) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov test on two samples given as ``{value: count}``.

    Returns ``(statistic D, p_value)``, those of ``scipy.stats.ks_2samp`` (two-sided,
    ``method="auto"``). Samples of up to ``KS_EXACT_MAX_N`` each are expanded and passed
    to it (its exact p-value); larger ones, where it uses Smirnov's asymptotic formula,
    are computed here from the counts with the same formula (D over the distinct values,
    ``scipy.stats.kstwo.sf(D, round(n·m/(n+m)))``), so a million live rows cost a few
    hundred distinct values rather than a sort of a million. On integer or rounded data
    the ties make the p-value conservative (too large), never too small.
    """
    n_reference, n_live = sum(reference.values()), sum(live.values())
    if max(n_reference, n_live) <= KS_EXACT_MAX_N or not n_reference or not n_live:
        return _ks(_expand(reference), _expand(live))
    values = np.array(sorted(set(reference) | set(live)), dtype=float)
    cdf_reference = np.cumsum([reference.get(v, 0) for v in values]) / n_reference
    cdf_live = np.cumsum([live.get(v, 0) for v in values]) / n_live
    differences = cdf_reference - cdf_live
    statistic = float(max(differences.max(), np.clip(-differences.min(), 0, 1)))
    larger, smaller = sorted([float(n_reference), float(n_live)], reverse=True)
    effective_n = np.round(larger * smaller / (larger + smaller))
    return statistic, float(np.clip(stats.kstwo.sf(statistic, effective_n), 0, 1))


# scipy.stats.ks_2samp computes an exact p-value up to this sample size ("auto").
KS_EXACT_MAX_N = 10_000


def _expand(counts: Mapping[float, int]) -> np.ndarray:
    values = np.fromiter(counts.keys(), dtype=float, count=len(counts))
    repeats = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    return np.repeat(values, repeats)


def _ks(reference: np.ndarray, live: np.ndarray) -> tuple[float, float]:
    result = stats.ks_2samp(reference, live)
    return float(result.statistic), float(result.pvalue)


def quantile_edges(values: Sequence[float], n_bins: int = PSI_QUANTILE_BINS) -> np.ndarray:
    """The inner bin edges at the reference's quantiles (deciles by default), duplicates
    removed, for PSI on a numeric feature. Bin ``i`` holds ``edges[i-1] < v <= edges[i]``;
    the outer bins are open-ended."""
    inner = np.quantile(np.asarray(values, dtype=float), np.arange(1, n_bins) / n_bins)
    return np.unique(inner)


def binned_counts(counts: Mapping[float, int], edges: np.ndarray) -> np.ndarray:
    """Counts per bin of a ``{value: count}`` sample, for the bins of ``quantile_edges``."""
    out = np.zeros(len(edges) + 1)
    for value, count in counts.items():
        out[np.searchsorted(edges, value, side="left")] += count
    return out


def value_counts(values: Sequence[float]) -> dict[float, int]:
    """``{value: count}`` of a sample."""
    unique, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    return {float(v): int(c) for v, c in zip(unique, counts, strict=True)}


def categorical_drift(name: str, reference: Mapping[str, int], live: Mapping[str, int]) -> dict:
    """Drift of one categorical feature: chi-square test and PSI.

    ``reference``, ``live``: ``{category: count}``; categories missing from one side
    count as 0. Returns a drift row (see ``_base_row``) plus ``reference_shares``,
    ``live_shares`` (``{category: fraction}``) and ``largest_shift`` (``{"category",
    "reference", "live"}``: the category whose share moved most; absent without live rows).
    """
    categories = list(dict.fromkeys([*reference, *live]))
    ref = [int(reference.get(c, 0)) for c in categories]
    cur = [int(live.get(c, 0)) for c in categories]
    n_live = sum(cur)
    row = _base_row(name, "chi-square", sum(ref), n_live)
    row["reference_shares"] = _shares(categories, ref)
    row["live_shares"] = _shares(categories, cur)
    if categories and n_live:
        moved = max(
            categories, key=lambda c: abs(row["live_shares"][c] - row["reference_shares"][c])
        )
        row["largest_shift"] = {
            "category": moved,
            "reference": row["reference_shares"][moved],
            "live": row["live_shares"][moved],
        }
    if n_live < MIN_LIVE_ROWS:
        return row
    statistic, p_value, _ = chi_square(ref, cur)
    return _judge(row, statistic, p_value, psi(ref, cur))


def _shares(categories: list[str], counts: list[int]) -> dict[str, float]:
    total = sum(counts) or 1
    return {c: n / total for c, n in zip(categories, counts, strict=True)}


def numeric_drift(name: str, reference_values: Sequence[float], live: Mapping[float, int]) -> dict:
    """Drift of one numeric feature: two-sample K–S test and PSI on reference deciles.

    ``reference_values``: the training values; ``live``: ``{value: count}``.
    Returns a drift row (see ``_base_row``), plus ``reference_mean``/``live_mean``.
    """
    n_live = int(sum(live.values()))
    row = _base_row(name, "Kolmogorov–Smirnov", len(reference_values), n_live)
    row["reference_mean"] = float(np.mean(reference_values)) if len(reference_values) else None
    row["live_mean"] = float(sum(v * c for v, c in live.items()) / n_live) if n_live else None
    if n_live < MIN_LIVE_ROWS or not len(reference_values):
        return row
    reference = value_counts(reference_values)
    statistic, p_value = ks_from_counts(reference, live)
    edges = quantile_edges(reference_values)
    index = psi(binned_counts(reference, edges), binned_counts(live, edges))
    return _judge(row, statistic, p_value, index)


def _base_row(name: str, test: str, n_reference: int, n_live: int) -> dict:
    """A feature drift row: ``feature``, ``test`` (``"chi-square"`` or
    ``"Kolmogorov–Smirnov"``), ``n_reference``, ``n_live``, ``statistic`` (χ² or D),
    ``p_value``, ``psi``, ``psi_level`` (ok/warn/alert), ``status`` (``feature_status``:
    drift/watch/ok/not enough data), ``drifted`` (status is drift: p < 0.05 and PSI ≥ 0.1)
    and ``verdict`` (``"drift"``, ``"no drift"`` or ``"not enough data"``, in which case
    the statistics stay ``None``)."""
    return {
        "feature": name,
        "test": test,
        "n_reference": int(n_reference),
        "n_live": int(n_live),
        "statistic": None,
        "p_value": None,
        "psi": None,
        "psi_level": None,
        "status": NOT_ENOUGH_DATA,
        "drifted": False,
        "verdict": NOT_ENOUGH_DATA,
    }


def _judge(row: dict, statistic: float, p_value: float, index: float) -> dict:
    status = feature_status(p_value, index)
    drifted = status == DRIFT
    row.update(
        statistic=statistic,
        p_value=p_value,
        psi=index,
        psi_level=psi_level(index),
        status=status,
        drifted=drifted,
        verdict=DRIFT if drifted else NO_DRIFT,
    )
    return row


def input_drift(profile: Mapping, live_categorical: Mapping, live_numeric: Mapping) -> dict:
    """Drift of every feature and the data set's verdict.

    ``profile``: a stored reference profile (``reference_profile``).
    ``live_categorical``: ``{feature: {category: count}}``; ``live_numeric``:
    ``{feature: {value: count}}``, both for the live rows being judged.
    Returns ``{"features": [row per feature, schema order], "n_live", "n_drifted",
    "n_tested", "n_watch", "share_drifted", "verdict"}``; the verdict is ``"drift"`` when
    half or more of the features drift (``feature_status``), ``"not enough data"`` below
    ``MIN_LIVE_ROWS`` live rows. ``n_watch``: features with one signal of the two.
    """
    rows = []
    for name in schema.FEATURE_NAMES:
        if name in schema.CATEGORICAL_FEATURES:
            reference = profile.get("categorical", {}).get(name, {})
            rows.append(categorical_drift(name, reference, live_categorical.get(name, {})))
        else:
            reference = profile.get("numeric", {}).get(name, [])
            rows.append(numeric_drift(name, reference, live_numeric.get(name, {})))
    n_live = max((r["n_live"] for r in rows), default=0)
    tested = [r for r in rows if r["verdict"] != NOT_ENOUGH_DATA]
    n_drifted = sum(r["drifted"] for r in tested)
    share = n_drifted / len(rows) if rows else 0.0
    verdict = DRIFT if share >= DATASET_DRIFT_SHARE else NO_DRIFT
    if not tested:
        verdict = NOT_ENOUGH_DATA
    return {
        "features": rows,
        "n_live": n_live,
        "n_drifted": n_drifted,
        "n_tested": len(tested),
        "n_watch": sum(r["status"] == WATCH for r in tested),
        "share_drifted": share,
        "verdict": verdict,
    }


def prediction_drift(
    holdout_predictions: Sequence[float], live: Mapping[float, int], *, bin_width: float = 5.0
) -> dict:
    """Live predictions against the model's predictions on its held-out rows.

    ``holdout_predictions``: points; ``live``: ``{rounded point: count}`` (whole points).
    The reference is rounded the same way, so both sides share one resolution.
    Returns a drift row (K–S and PSI on the reference deciles) plus ``histogram``:
    ``{"edges": [...], "reference": [shares], "live": [shares]}`` on ``bin_width`` bins
    from 0 to 100 (values outside land in the end bins), for the overlaid chart.
    """
    rounded = np.round(np.asarray(holdout_predictions, dtype=float))
    row = numeric_drift("predicted_math_score", rounded, live)
    edges = np.arange(schema.SCORE_MIN, schema.SCORE_MAX + bin_width, bin_width)
    row["histogram"] = {
        "edges": edges.tolist(),
        "reference": _fixed_histogram(value_counts(rounded), edges),
        "live": _fixed_histogram(live, edges),
    }
    return row


def _fixed_histogram(counts: Mapping[float, int], edges: np.ndarray) -> list[float]:
    out = np.zeros(len(edges) - 1)
    for value, count in counts.items():
        index = int(np.clip(np.searchsorted(edges, value, side="right") - 1, 0, len(out) - 1))
        out[index] += count
    total = out.sum()
    return (out / total).tolist() if total else out.tolist()


def accuracy_from_sums(
    *,
    n: int,
    sum_abs_error: float,
    sum_squared_error: float,
    sum_actual: float,
    sum_actual_squared: float,
    n_covered: int,
) -> dict:
    """MAE, RMSE, R² and interval coverage from sums the database computed.

    ``n``: predictions with a recorded actual score; errors are actual − predicted, in
    points; ``n_covered``: how many actual scores fell inside their interval.
    R² = 1 − SSE/SST with SST = Σy² − (Σy)²/n (``None`` when SST is 0 or n < 2).
    Returns ``{"n", "mae", "rmse", "r2", "coverage"}``, all ``None`` except ``n`` when
    ``n`` is 0.
    """
    if n <= 0:
        return {"n": 0, "mae": None, "rmse": None, "r2": None, "coverage": None}
    total_ss = sum_actual_squared - sum_actual * sum_actual / n
    r2 = 1 - sum_squared_error / total_ss if n >= 2 and total_ss > 1e-9 else None
    return {
        "n": int(n),
        "mae": sum_abs_error / n,
        "rmse": math.sqrt(max(sum_squared_error, 0.0) / n),
        "r2": r2,
        "coverage": n_covered / n,
    }


def accuracy_alert(live: Mapping, test_mae: float | None) -> bool:
    """Whether live accuracy crosses the alert line: at least ``MIN_OUTCOMES`` outcomes
    and live MAE above ``ACCURACY_ALERT_RATIO`` × the held-out MAE."""
    if not test_mae or live.get("mae") is None or live.get("n", 0) < MIN_OUTCOMES:
        return False
    return live["mae"] > ACCURACY_ALERT_RATIO * test_mae
