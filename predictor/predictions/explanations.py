"""Plain words and chart geometry for a prediction's range, reasons and what-if, and for
a model card's errors by subgroup.

Pure functions of stored values: no query, no model. The selectors gather the data and
call these; the templates only lay the results out. Chart geometry is given in percent
of the chart's width, because the charts are SVGs drawn with percentage coordinates
(they stretch to any screen without a viewBox distorting their text).
"""

from __future__ import annotations

from dataclasses import dataclass

from ml import schema
from predictor.registry.cards import signed

# Half the reasons chart is each direction; the longest bar stops short of the edge.
_HALF_CHART = 48.0

_VALUE_PHRASES = {
    "gender": lambda v: f"Gender: {v}",
    "race_ethnicity": lambda v: f"Race/ethnicity {v}",
    "parental_level_of_education": lambda v: f"Parental education: {v}",
    "lunch": lambda v: "Standard lunch" if v == "standard" else "Free or reduced-price lunch",
    "test_preparation_course": lambda v: (
        "Completed test preparation" if v == "completed" else "No test preparation course"
    ),
    "reading_score": lambda v: f"Reading score {v}",
    "writing_score": lambda v: f"Writing score {v}",
}


def value_phrase(feature: str, value) -> str:
    """A feature's value in words: ``"Completed test preparation"``, ``"Reading score 72"``."""
    return _VALUE_PHRASES[feature](value)


@dataclass(frozen=True)
class Reason:
    """One feature's push on the prediction, with its bar on a chart centred on zero."""

    feature: str
    text: str
    points: float
    bar_x: str
    bar_width: str

    @property
    def points_text(self) -> str:
        return f"{signed(self.points)} points"

    @property
    def direction(self) -> str:
        # By the shown value: a push of -0.03 reads "0.0 points" and must not be coloured
        # as a loss.
        shown = round(self.points, 1)
        return "up" if shown > 0 else "down" if shown < 0 else "none"


def reasons(features: dict, contributions: dict) -> list[Reason]:
    """Each feature's contribution in words, largest first (by size, either sign).

    ``contributions``: ``{feature: points}`` as stored on a prediction. Bars are scaled so
    the largest reaches ``_HALF_CHART`` percent either side of the centre line.
    """
    largest = max((abs(p) for p in contributions.values()), default=0.0) or 1.0
    rows = []
    for name in schema.FEATURE_NAMES:
        points = float(contributions.get(name, 0.0))
        width = abs(points) / largest * _HALF_CHART
        x = 50.0 if points >= 0 else 50.0 - width
        rows.append(
            Reason(name, value_phrase(name, features[name]), points, f"{x:.2f}", f"{width:.2f}")
        )
    return sorted(rows, key=lambda r: abs(r.points), reverse=True)


@dataclass(frozen=True)
class RangeBar:
    """The interval and the point on a 0–100 scale, as percentages for the SVG."""

    low: str
    width: str
    point: str
    label_x: str


def range_bar(point: float, low: float, high: float) -> RangeBar:
    """Geometry of the range bar. The point is drawn clipped to the scale (a model may
    predict a little past 100); its label is kept off the very edges so it stays legible."""
    span = (schema.SCORE_MAX - schema.SCORE_MIN) / 100.0

    def pct(score: float) -> float:
        return min(max((score - schema.SCORE_MIN) / span, 0.0), 100.0)

    return RangeBar(
        low=f"{pct(low):.2f}",
        width=f"{pct(high) - pct(low):.2f}",
        point=f"{pct(point):.2f}",
        label_x=f"{min(max(pct(point), 4.0), 96.0):.2f}",
    )


@dataclass(frozen=True)
class WhatIfLine:
    """One what-if change in words and the model's answer to it."""

    text: str
    predicted_math_score: float
    delta: float

    @property
    def delta_text(self) -> str:
        return f"{signed(self.delta)} points"

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "none"


def what_if_lines(changes: list[dict]) -> list[WhatIfLine]:
    """``ml.predict.what_if`` output in words."""
    lines = []
    for change in changes:
        if change["feature"] == "test_preparation_course":
            text = (
                "Had completed the test preparation course"
                if change["to"] == "completed"
                else "Had not taken the test preparation course"
            )
        elif change["feature"] == "reading_score":
            more = int(change["to"]) - int(change["from"])
            text = (
                f"With {more} more reading point{'s' if more != 1 else ''} "
                f"({change['to']} instead of {change['from']})"
            )
        else:
            label = schema.FEATURES_BY_NAME[change["feature"]].label
            text = f"{label} {change['to']} instead of {change['from']}"
        lines.append(WhatIfLine(text, change["predicted_math_score"], change["delta"]))
    return lines
