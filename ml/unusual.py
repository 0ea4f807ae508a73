"""Flag students unlike the training data, with a reason a teacher can read.

Two checks, fitted on the training rows at training time:

- Scores: the Mahalanobis distance of (reading, writing) from the training rows' mean,
  with their covariance (Mahalanobis 1936). Reading and writing are strongly correlated
  (r ≈ 0.95 in the public data), so this distance is large for a student whose two
  scores differ far more than usual (reading 90, writing 40) as well as for one far from
  the usual level; Euclidean distance would miss the first kind. A student is flagged
  when the squared distance exceeds the ``TAIL``-quantile (99th percentile) of the
  training rows' own squared distances: by construction about 1 training student in 100
  is as far out.
- Categories: a category value that no training row had (possible only when a training
  file lacked a category the schema allows).

The reason names the larger of the two standardised parts of the distance: the gap
between reading and writing, or their average level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import schema

TAIL = 0.99
SCORES = ("reading_score", "writing_score")


@dataclass
class UnusualProfile:
    """What ``flag_rows`` needs: the training mean (shape ``(2,)``) and inverse covariance
    (``(2, 2)``) of reading and writing, the threshold on the squared Mahalanobis distance,
    the training rows' sorted squared distances (for "rarer than 1 in N"), the training
    mean and SD of the reading − writing gap and of the average, and the categories seen."""

    mean: np.ndarray
    inverse_covariance: np.ndarray
    threshold: float
    train_distances: np.ndarray
    gap_mean: float
    gap_sd: float
    level_mean: float
    level_sd: float
    categories_seen: dict[str, list[str]]
    tail: float = TAIL

    @classmethod
    def fit(
        cls, train: pd.DataFrame, *, tail: float = TAIL, features=schema.FEATURE_NAMES
    ) -> UnusualProfile:
        """Fit on clean training rows (schema feature columns). ``features``: those the
        model uses; only their categories are checked, and the score distance needs both
        scores among them (else no student is flagged for scores). Raises ``ValueError``
        when reading and writing have a singular covariance (e.g. every score the same)."""
        categories_seen = {
            name: sorted(set(train[name].astype(str)))
            for name in schema.CATEGORICAL_FEATURES
            if name in features
        }
        if not set(SCORES) <= set(features):
            return cls(
                mean=np.zeros(2),
                inverse_covariance=np.zeros((2, 2)),
                threshold=float("inf"),
                train_distances=np.zeros(0),
                gap_mean=0.0,
                gap_sd=1.0,
                level_mean=0.0,
                level_sd=1.0,
                categories_seen=categories_seen,
                tail=tail,
            )
        scores = train[list(SCORES)].to_numpy(dtype=float)
        mean = scores.mean(axis=0)
        covariance = np.cov(scores, rowvar=False)
        if np.linalg.det(covariance) <= 1e-9:
            raise ValueError("reading and writing scores do not vary enough to fit a distance")
        inverse = np.linalg.inv(covariance)
        distances = _squared_distances(scores, mean, inverse)
        gap = scores[:, 0] - scores[:, 1]
        level = scores.mean(axis=1)
        return cls(
            mean=mean,
            inverse_covariance=inverse,
            threshold=float(np.quantile(distances, tail)),
            train_distances=np.sort(distances),
            gap_mean=float(gap.mean()),
            gap_sd=float(gap.std(ddof=1)) or 1.0,
            level_mean=float(level.mean()),
            level_sd=float(level.std(ddof=1)) or 1.0,
            categories_seen=categories_seen,
            tail=tail,
        )

    def squared_distances(self, frame: pd.DataFrame) -> np.ndarray:
        """Squared Mahalanobis distances of the rows' (reading, writing), shape ``(n,)``."""
        scores = frame[list(SCORES)].to_numpy(dtype=float)
        return _squared_distances(scores, self.mean, self.inverse_covariance)

    def flag_rows(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """``(flags, reasons)`` for a frame of clean rows: ``flags`` bool shape ``(n,)``;
        ``reasons`` one string per row, empty for a row not flagged, e.g.
        ``"reading and writing scores differ by 45 points (reading higher); only 2 of 800
        training students are as unusual"``."""
        distances = self.squared_distances(frame)
        reasons = []
        records = frame[list(schema.FEATURE_NAMES)].to_dict("records")
        for record, distance in zip(records, distances, strict=True):
            parts = self._category_reasons(record)
            if distance > self.threshold:
                parts.append(self._score_reason(record, distance))
            reasons.append("; ".join(parts))
        return np.array([bool(r) for r in reasons], dtype=bool), reasons

    def flag_one(self, features: dict) -> tuple[bool, str]:
        """``(flag, reason)`` for one clean feature dict."""
        scores = np.array([[float(features[name]) for name in SCORES]])
        distance = float(_squared_distances(scores, self.mean, self.inverse_covariance)[0])
        parts = self._category_reasons(features)
        if distance > self.threshold:
            parts.append(self._score_reason(features, distance))
        return bool(parts), "; ".join(parts)

    def _category_reasons(self, record: dict) -> list[str]:
        return [
            f"{schema.FEATURES_BY_NAME[name].label.lower()} '{record[name]}' never appeared in "
            "the training data"
            for name, seen in self.categories_seen.items()
            if str(record[name]) not in seen
        ]

    def _score_reason(self, record: dict, distance: float) -> str:
        reading, writing = float(record["reading_score"]), float(record["writing_score"])
        gap_z = abs(reading - writing - self.gap_mean) / self.gap_sd
        level_z = abs((reading + writing) / 2 - self.level_mean) / self.level_sd
        # How many training rows are at least this far out.
        n = len(self.train_distances)
        beyond = n - int(np.searchsorted(self.train_distances, distance, side="left"))
        if beyond == 0:
            rarity = f"more unusual than all {n:,} training students"
        else:
            rarity = f"only {beyond:,} of {n:,} training students are as unusual"
        if gap_z >= level_z:
            higher = "reading" if reading > writing else "writing"
            what = (
                f"reading and writing scores differ by {abs(reading - writing):.0f} points "
                f"({higher} higher)"
            )
        else:
            side = "low" if (reading + writing) / 2 < self.level_mean else "high"
            what = f"reading {reading:.0f} and writing {writing:.0f} are unusually {side}"
        return f"{what}; {rarity}"

    def as_dict(self) -> dict:
        """JSON-ready summary: method, tail, threshold, training mean of the scores."""
        return {
            "method": "Mahalanobis distance of (reading, writing) from the training rows",
            "tail": self.tail,
            "threshold_squared_distance": self.threshold,
            "training_mean": dict(zip(SCORES, map(float, self.mean), strict=True)),
            "training_rows": len(self.train_distances),
        }


def _squared_distances(scores: np.ndarray, mean: np.ndarray, inverse: np.ndarray) -> np.ndarray:
    centred = scores - mean
    return np.einsum("ij,jk,ik->i", centred, inverse, centred)
