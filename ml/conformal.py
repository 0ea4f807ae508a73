"""Split-conformal interval half-widths: marginal, and group-conditional ("Mondrian").

Both are calibrated on the same nonconformity scores: the absolute out-of-fold residuals
|y − ŷ| of the training rows (``ml.train``; a simplified CV+, Barber et al. 2021).

- Marginal: one half-width, the ``ceil((n+1)·level)``-th smallest score (Vovk, Gammerman
  & Shafer 2005, *Algorithmic Learning in a Random World*). Coverage ≥ level on average
  over all students, but a group whose errors are larger than the rest's is covered less.
- Mondrian: Vovk et al. (2003, "Mondrian confidence machine"; 2005 ch. 4) split the
  calibration scores by a category and take the quantile within the category, so that
  coverage ≥ level holds within each category. With several protected attributes (the
  groups overlap: a student has a gender *and* a lunch status), a student's half-width is
  the largest of the within-group quantiles of the groups the student belongs to, one
  per attribute. For every group g of every attribute the half-width is then at least
  g's own conformal quantile, so coverage within g is ≥ level (the group-conditional
  guarantee of Romano, Barber, Sabatti & Candès 2020, "With malice toward none", applied
  to each attribute's partition; the max makes it hold for all partitions at once). The
  price is width: the guarantee is a lower bound and the max of several quantiles
  over-covers somewhat.

Small groups: a group with fewer than ``MIN_GROUP_SIZE`` calibration rows, or a category
never seen in calibration, uses the marginal half-width for that attribute instead (no
within-group guarantee: too few rows to estimate a 90% quantile; the rank
``ceil((n+1)·level)`` exceeds ``n`` below 9 rows at 90%, and below 30 the estimate swings
by several points between resplits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Fewest calibration rows a group needs for its own quantile (see the module docstring).
MIN_GROUP_SIZE = 30

MARGINAL = "marginal"
MONDRIAN = "mondrian"
# Quantile regression on group indicators (ml.conditional), named here so that every
# method's name is in one tuple.
CONDITIONAL = "conditional"
METHODS = (MARGINAL, MONDRIAN, CONDITIONAL)


def conformal_quantile(abs_residuals: np.ndarray, level: float) -> float:
    """The split-conformal half-width: the ``ceil((n+1)·level)``-th smallest absolute
    residual (Vovk et al. 2005), or ``inf`` when ``n`` is too small for that level."""
    n = len(abs_residuals)
    rank = math.ceil((n + 1) * level)
    if rank > n:
        return float("inf")
    return float(np.sort(abs_residuals)[rank - 1])


@dataclass
class MondrianCalibration:
    """Per-group conformal half-widths (points) for group-conditional intervals.

    ``half_widths``: ``{attribute: {group: points}}`` for groups with at least
    ``min_group_size`` calibration rows; ``counts``: ``{attribute: {group: rows}}`` for
    every group seen; ``marginal``: the marginal half-width, used for a group too small or
    unseen. JSON-ready through ``as_dict``.
    """

    level: float
    marginal: float
    attributes: tuple[str, ...]
    half_widths: dict[str, dict[str, float]]
    counts: dict[str, dict[str, int]]
    min_group_size: int = MIN_GROUP_SIZE

    @classmethod
    def fit(
        cls,
        abs_residuals: np.ndarray,
        groups: pd.DataFrame,
        attributes: Sequence[str],
        *,
        level: float,
        min_group_size: int = MIN_GROUP_SIZE,
    ) -> MondrianCalibration:
        """Calibrate on ``abs_residuals`` (shape ``(n,)``, points) of the rows of ``groups``
        (a frame with one column per attribute, ``n`` rows, same order)."""
        abs_residuals = np.asarray(abs_residuals, dtype=float)
        half_widths: dict[str, dict[str, float]] = {}
        counts: dict[str, dict[str, int]] = {}
        for attribute in attributes:
            values = groups[attribute].astype(str).to_numpy()
            half_widths[attribute], counts[attribute] = {}, {}
            for group in sorted(set(values)):
                scores = abs_residuals[values == group]
                counts[attribute][group] = len(scores)
                quantile = conformal_quantile(scores, level)
                if len(scores) >= min_group_size and math.isfinite(quantile):
                    half_widths[attribute][group] = quantile
        return cls(
            level=level,
            marginal=conformal_quantile(abs_residuals, level),
            attributes=tuple(attributes),
            half_widths=half_widths,
            counts=counts,
            min_group_size=min_group_size,
        )

    def group_half_width(self, attribute: str, group: str) -> float:
        """The half-width of one group, or the marginal one when it has too few rows."""
        return self.half_widths.get(attribute, {}).get(group, self.marginal)

    def half_width_one(self, features: dict) -> float:
        """The half-width (points) for one student's clean feature dict."""
        return max(
            (self.group_half_width(a, str(features[a])) for a in self.attributes),
            default=self.marginal,
        )

    def half_width_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-row half-widths (points), shape ``(n,)``, for a frame with the attributes'
        columns: the max over attributes of the row's group half-width."""
        result = np.zeros(len(frame)) if self.attributes else np.full(len(frame), self.marginal)
        for attribute in self.attributes:
            table = self.half_widths.get(attribute, {})
            values = frame[attribute].astype(str)
            widths = values.map(table).astype(float).fillna(self.marginal).to_numpy()
            result = np.maximum(result, widths)
        return result

    def as_dict(self) -> dict:
        """``{"method": "mondrian", "level", "marginal_half_width", "min_group_size",
        "groups": {attribute: [{"group", "count", "half_width", "fallback"}]}}`` where
        ``fallback`` is true when the group uses the marginal half-width."""
        return {
            "method": MONDRIAN,
            "level": self.level,
            "marginal_half_width": self.marginal,
            "min_group_size": self.min_group_size,
            "groups": {
                attribute: [
                    {
                        "group": group,
                        "count": count,
                        "half_width": self.group_half_width(attribute, group),
                        "fallback": group not in self.half_widths.get(attribute, {}),
                    }
                    for group, count in self.counts[attribute].items()
                ]
                for attribute in self.attributes
            },
        }
