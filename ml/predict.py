"""Scoring with a fitted model: point prediction, conformal interval and contributions.

``FittedModel`` is what ``ml.train`` produces and ``ml.artifact`` serialises: the fitted
Pipeline plus what serving needs beside it (interval half-width, explanation background).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml import explain, schema

# The libraries whose versions must match between training and serving, because the
# artifact pickles their objects.
TRACKED_LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "catboost", "xgboost", "joblib")


def library_versions() -> dict[str, str]:
    """Installed versions of Python and ``TRACKED_LIBRARIES``: ``{"python": "3.11.7", ...}``."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            # xgboost ships as the xgboost-cpu distribution; same import name.
            try:
                versions[name] = metadata.version(f"{name}-cpu")
            except metadata.PackageNotFoundError:
                versions[name] = "not installed"
    return versions


@dataclass
class PredictionBatch:
    """Scores for ``n`` rows, all in points.

    ``point``, ``low``, ``high``, ``baseline``: shape ``(n,)``; ``contributions``: shape
    ``(n, 7)`` in ``schema.FEATURE_NAMES`` order, with
    ``baseline + contributions.sum(axis=1) == point``. ``low``/``high`` are clipped to 0–100.
    """

    point: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    baseline: np.ndarray
    contributions: np.ndarray

    def __len__(self) -> int:
        return len(self.point)

    def row(self, i: int) -> dict:
        """Row ``i`` as plain Python: score, interval, baseline and ``{feature: points}``."""
        return {
            "predicted_math_score": float(self.point[i]),
            "interval": {
                "low": float(self.low[i]),
                "high": float(self.high[i]),
                "level": self.level,
            },
            "baseline": float(self.baseline[i]),
            "contributions": {
                name: float(self.contributions[i, j]) for j, name in enumerate(schema.FEATURE_NAMES)
            },
        }


@dataclass
class FittedModel:
    """A fitted pipeline with its split-conformal interval and explanation background.

    ``interval_half_width`` (points) is the conformal quantile of absolute out-of-fold
    residuals at ``interval_level``; ``background_mean`` is the mean of the preprocessor's
    output on the training rows (used by linear attributions).
    """

    pipeline: Pipeline
    name: str
    interval_level: float
    interval_half_width: float
    background_mean: np.ndarray
    library_versions: dict = field(default_factory=library_versions)

    def predict_point(self, frame: pd.DataFrame) -> np.ndarray:
        """Point predictions, shape ``(n,)``, for a frame with the schema's feature columns."""
        return np.asarray(self.pipeline.predict(frame[list(schema.FEATURE_NAMES)]), dtype=float)

    def predict(self, frame: pd.DataFrame) -> PredictionBatch:
        """Score every row of ``frame`` (clean values, schema feature columns) in one call."""
        frame = frame[list(schema.FEATURE_NAMES)]
        point = self.predict_point(frame)
        baseline, contribs = explain.contributions(
            self.pipeline, frame, background_mean=self.background_mean
        )
        low = np.clip(point - self.interval_half_width, schema.SCORE_MIN, schema.SCORE_MAX)
        high = np.clip(point + self.interval_half_width, schema.SCORE_MIN, schema.SCORE_MAX)
        return PredictionBatch(point, low, high, self.interval_level, baseline, contribs)


def records_frame(records: list[dict]) -> pd.DataFrame:
    """A frame of clean feature records (dicts keyed by feature name), in schema order."""
    frame = pd.DataFrame.from_records(records, columns=list(schema.FEATURE_NAMES))
    for name in schema.NUMERIC_FEATURES:
        frame[name] = frame[name].astype("int64")
    return frame
