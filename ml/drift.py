"""Reference profiles for input drift, stored with each model version at training time.

The profile holds, from the training rows, the category counts of each categorical
feature and the values of each score (integers 0–100, so a few kilobytes), plus the
model's predictions on the held-out rows: what later traffic is compared against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml import schema


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
