"""Held-out figures of a model: regression metrics, interval coverage and width, and
errors per group of each categorical feature (points; bias is predicted − actual)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from ml import schema


def regression_metrics(y_true, y_pred) -> dict:
    """``{"r2", "mae", "rmse"}`` of predictions against true scores (points)."""
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(math.sqrt(mean_squared_error(y_true, y_pred))),
    }


def interval_metrics(y_true, point, half_width) -> dict:
    """Empirical coverage (fraction) and mean width (points) of ``point ± half_width``
    clipped to 0–100, on true scores ``y_true``. ``half_width``: one number, or one per
    row (shape ``(n,)``)."""
    y_true = np.asarray(y_true, dtype=float)
    low = np.clip(point - half_width, schema.SCORE_MIN, schema.SCORE_MAX)
    high = np.clip(point + half_width, schema.SCORE_MIN, schema.SCORE_MAX)
    return {
        "interval_coverage": float(np.mean((y_true >= low) & (y_true <= high))),
        "interval_width": float(np.mean(high - low)),
    }


def subgroup_errors(test: pd.DataFrame, predictions: np.ndarray) -> dict:
    """Held-out errors per value of each categorical feature.

    Returns ``{"groups": {feature: [{"value", "n", "mae", "mean_signed_error"}]},
    "largest_gap": {"feature", "high", "low", "mae_gap"}}``; the signed error is
    predicted − actual (positive: the model overestimates that group). The largest gap is
    the biggest MAE difference between two values of one feature (groups of 5+ rows).
    """
    errors = predictions - test[schema.TARGET].to_numpy(dtype=float)
    groups: dict[str, list[dict]] = {}
    largest = None
    for name in schema.CATEGORICAL_FEATURES:
        rows = []
        for value in schema.FEATURES_BY_NAME[name].choices:
            mask = (test[name] == value).to_numpy()
            if not mask.any():
                continue
            rows.append(
                {
                    "value": value,
                    "n": int(mask.sum()),
                    "mae": float(np.abs(errors[mask]).mean()),
                    "mean_signed_error": float(errors[mask].mean()),
                }
            )
        groups[name] = rows
        sized = [r for r in rows if r["n"] >= 5]
        if len(sized) >= 2:
            high = max(sized, key=lambda r: r["mae"])
            low = min(sized, key=lambda r: r["mae"])
            gap = high["mae"] - low["mae"]
            if largest is None or gap > largest["mae_gap"]:
                largest = {
                    "feature": name,
                    "high": high["value"],
                    "low": low["value"],
                    "mae_gap": float(gap),
                }
    return {"groups": groups, "largest_gap": largest}
