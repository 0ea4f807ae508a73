"""Group-conditional conformal intervals by quantile regression on group indicators.

Source: Gibbs, Cherian & Candès (2023), "Conformal prediction with conditional
guarantees" (arXiv:2305.12616), with the finite-dimensional function class
``F = {Φ(x)ᵀβ}`` where ``Φ(x)`` holds an intercept and one indicator per group. Their
prediction set for a new student ``x`` is ``{y : S(x, y) ≤ ĝ_S(x)}``, where ``ĝ_S`` is the
pinball-loss (level τ = 0.9) quantile regression of the calibration scores on ``Φ``,
fitted with the new student added with score ``S``. For every group ``G`` in the span of
``Φ`` this gives ``P(Y ∈ C(X) | X ∈ G) ≥ τ`` (their Theorem 3, with ``f = 1_G``), for all the
overlapping groups at once, and the non-randomised set over-covers by at most about
``d / (n·P(G))`` (``d`` columns): so, unlike the Mondrian "max rule" of ``ml.conformal``,
a group is not pushed well above 90% because of its members' other groups.

Computation. The score here is the absolute out-of-fold residual (``ml.train``). The set
is ``S ≤ S*`` with ``S* = Φ(x)ᵀβ∞``, where ``β∞`` minimises
``Σᵢ ℓ_τ(Sᵢ − Φᵢᵀβ) − τ·Φ(x)ᵀβ``: the fit with the new student's score taken to infinity.
(For ``S ≥ S*`` the new point lies above the fit, its loss is ``τ·(S − Φ(x)ᵀβ)``, and the
augmented problem has the same minimiser; for ``S < S*`` monotonicity of ``ĝ_S(x)`` in ``S``,
their Lemma, puts ``S`` inside.) One linear programme (HiGHS via scipy) per combination of
groups, so all of them are solved at training and serving is a table look-up.

Small-group rule, in two steps:

- A group with fewer than ``MIN_GROUP_SIZE`` (30) calibration rows, or none, gets no
  indicator of its own; it shares the indicator-free level of its attribute with the
  attribute's largest group, so the guarantee holds for the two pooled, not for the small
  group alone.
- A student in any group with fewer than ``RELIABLE_GROUP_SIZE`` (100) calibration rows
  never gets a half-width below the marginal one. The guarantee is on average over
  calibration sets; for one set, the coverage a group's 90% quantile gives has an SD of
  about √(0.9·0.1/n) for n rows: 0.055 at 30 rows, 0.03 at 100. Below 100 rows an unlucky
  draw can put a group's quantile several points low (a group of 46 rows was covered 78%
  on fresh data in our tests), so such a group may be widened by its own rows, never
  narrowed below everyone's. At 100 rows two SDs are 0.06, inside the 0.83–0.97 band
  the project asks of one training run. Too few rows for
the level altogether (the programme is unbounded) gives a half-width of 100 points: the
whole score scale.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from ml import schema
from ml.conformal import CONDITIONAL, MIN_GROUP_SIZE, conformal_quantile

# Fewest calibration rows a group needs before its rows may be narrower than the marginal
# interval (module docstring).
RELIABLE_GROUP_SIZE = 100

# Groups the intervals hold in, beyond the protected attributes: test preparation is the
# fact a teacher acts on (the what-if toggles it), so its ranges must hold for students who
# did and did not complete the course.
ALSO_CONDITION_ON = ("test_preparation_course",)


def _key(values: Sequence[str]) -> str:
    return "|".join(values)


# Where the fitted quantile at a new student is not unique (a flat stretch of the pinball
# loss, e.g. when (n + 1)·level is a whole number in the one-group case), the smallest value
# is the split-conformal one; weighting the new student by slightly less than the level
# picks it.
TIE_BREAK = 1e-6


def threshold(scores: np.ndarray, design: np.ndarray, new_row: np.ndarray, level: float) -> float:
    """``S* = Φ(x)ᵀβ∞`` (module docstring): the largest score a new student with indicator
    row ``new_row`` (shape ``(d,)``) may have and be covered, given calibration ``scores``
    (shape ``(n,)``) and their indicator rows ``design`` (shape ``(n, d)``).

    Solved as the dual linear programme (``n`` bounded variables, ``d`` equalities):
    ``max Sᵀη`` subject to ``Φᵀη = −τ·Φ(x)``, ``τ − 1 ≤ η ≤ τ``, whose equality multipliers
    are ``−β∞``. Returns ``inf`` when it is infeasible (too few rows for ``level``: the
    quantile regression is unbounded). Raises ``ValueError`` when the solver fails."""
    result = linprog(
        -scores,
        A_eq=design.T,
        b_eq=-(level - TIE_BREAK) * new_row,
        bounds=(level - 1, level),
        method="highs",
    )
    if result.status == 2:
        return math.inf
    if result.status != 0:
        raise ValueError(f"conditional conformal: the linear programme failed ({result.message})")
    return float(-new_row @ result.eqlin.marginals)


@dataclass
class ConditionalCalibration:
    """Half-widths (points) of group-conditional intervals, one per combination of groups.

    ``attributes``: the categorical features conditioned on; ``columns``: the
    ``(attribute, group)`` pairs with an indicator of their own (besides the intercept);
    ``counts``: ``{attribute: {group: calibration rows}}``; ``half_widths``:
    ``{"group|group|…" (attribute order): points}`` for every combination of the schema's
    categories; ``marginal``: the marginal half-width. JSON-ready through ``as_dict``.
    """

    level: float
    marginal: float
    attributes: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    counts: dict[str, dict[str, int]]
    half_widths: dict[str, float]
    min_group_size: int = MIN_GROUP_SIZE
    reliable_group_size: int = RELIABLE_GROUP_SIZE

    @classmethod
    def fit(
        cls,
        abs_residuals: np.ndarray,
        groups: pd.DataFrame,
        attributes: Sequence[str],
        *,
        level: float,
        min_group_size: int = MIN_GROUP_SIZE,
        reliable_group_size: int = RELIABLE_GROUP_SIZE,
    ) -> ConditionalCalibration:
        """Calibrate on ``abs_residuals`` (shape ``(n,)``, points) of the rows of ``groups``
        (one column per attribute, ``n`` rows, same order). Raises ``ValueError`` when a
        linear programme fails."""
        scores = np.asarray(abs_residuals, dtype=float)
        marginal = conformal_quantile(scores, level)
        counts: dict[str, dict[str, int]] = {}
        columns: list[tuple[str, str]] = []
        for attribute in attributes:
            observed = groups[attribute].astype(str).value_counts()
            choices = schema.FEATURES_BY_NAME[attribute].choices
            counts[attribute] = {g: int(observed.get(g, 0)) for g in choices}
            sized = [g for g in choices if counts[attribute][g] >= min_group_size]
            reference = max(sized, key=lambda g: counts[attribute][g]) if sized else None
            columns += [(attribute, g) for g in sized if g != reference]
        calibration = cls(
            level=level,
            marginal=marginal,
            attributes=tuple(attributes),
            columns=tuple(columns),
            counts=counts,
            half_widths={},
            min_group_size=min_group_size,
            reliable_group_size=reliable_group_size,
        )
        design = calibration._design(groups)
        combos = itertools.product(*(schema.FEATURES_BY_NAME[a].choices for a in attributes))
        for combo in combos:
            row = calibration._design(pd.DataFrame([combo], columns=list(attributes)))[0]
            width = threshold(scores, design, row, level)
            if calibration._floored(combo):
                width = max(width, marginal)
            # ±100 points already spans the whole score scale (and stays valid JSON).
            calibration.half_widths[_key(combo)] = min(width, float(schema.SCORE_MAX))
        return calibration

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        """Indicator rows, shape ``(n, 1 + len(columns))``: intercept, then one per column."""
        out = np.ones((len(frame), 1 + len(self.columns)))
        for j, (attribute, group) in enumerate(self.columns, start=1):
            out[:, j] = (frame[attribute].astype(str) == group).to_numpy()
        return out

    def _floored(self, combo: Sequence[str]) -> bool:
        """Whether any of the groups has too few rows to narrow below the marginal width."""
        return any(
            self.counts[a].get(g, 0) < self.reliable_group_size
            for a, g in zip(self.attributes, combo, strict=True)
        )

    def half_width_one(self, features: dict) -> float:
        """The half-width (points) for one student's clean feature dict."""
        key = _key([str(features[a]) for a in self.attributes])
        return self.half_widths.get(key, self.marginal)

    def half_width_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-row half-widths (points), shape ``(n,)``, for a frame with the attributes'
        columns."""
        if not self.attributes:
            return np.full(len(frame), self.marginal)
        keys = frame[list(self.attributes)].astype(str).agg("|".join, axis=1)
        return keys.map(self.half_widths).astype(float).fillna(self.marginal).to_numpy()

    def as_dict(self) -> dict:
        """``{"method": "conditional", "level", "marginal_half_width", "min_group_size",
        "reliable_group_size", "attributes", "groups": {attribute: [{"group", "count",
        "pooled", "floored"}]}, "half_widths": {"group|group|…": points}}``; ``pooled``:
        too few rows for an indicator of its own; ``floored``: never narrower than the
        marginal interval (module docstring)."""
        return {
            "method": CONDITIONAL,
            "level": self.level,
            "marginal_half_width": self.marginal,
            "min_group_size": self.min_group_size,
            "reliable_group_size": self.reliable_group_size,
            "attributes": list(self.attributes),
            "groups": {
                attribute: [
                    {
                        "group": g,
                        "count": c,
                        "pooled": c < self.min_group_size,
                        "floored": c < self.reliable_group_size,
                    }
                    for g, c in self.counts[attribute].items()
                ]
                for attribute in self.attributes
            },
            "half_widths": dict(self.half_widths),
        }
