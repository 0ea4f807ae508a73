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


def _bar(points: float, largest: float) -> tuple[str, str]:
    width = abs(points) / largest * _HALF_CHART
    x = 50.0 if points >= 0 else 50.0 - width
    return f"{x:.2f}", f"{width:.2f}"


def reasons(
    features: dict, contributions: dict, *, features_used: list[str] | None = None
) -> list[Reason]:
    """Each feature's contribution in words, largest first (by size, either sign).

    ``contributions``: ``{feature: points}`` as stored on a prediction. ``features_used``:
    the model's features (``None``: all seven); one it does not use is no reason and is
    left out. Bars are scaled so the largest reaches ``_HALF_CHART`` percent either side
    of the centre line.
    """
    names = [n for n in schema.FEATURE_NAMES if features_used is None or n in features_used]
    largest = max((abs(contributions.get(n, 0.0)) for n in names), default=0.0) or 1.0
    rows = []
    for name in names:
        points = float(contributions.get(name, 0.0))
        text = value_phrase(name, features[name])
        rows.append(Reason(name, text, points, *_bar(points, largest)))
    return sorted(rows, key=lambda r: abs(r.points), reverse=True)


# Facts a student or school can act on, and facts about who the student is (issue 14):
# the result page lists the first as reasons and sums the second into one line.
CHANGEABLE_FACTS = ("reading_score", "writing_score", "test_preparation_course")
BACKGROUND_FACTS = ("gender", "race_ethnicity", "lunch", "parental_level_of_education")
BACKGROUND = "background"
_BACKGROUND_LABELS = {
    "gender": "gender",
    "race_ethnicity": "race/ethnicity group",
    "lunch": "lunch",
    "parental_level_of_education": "parental education",
}


@dataclass(frozen=True)
class TeacherReasons:
    """What the result page lists: ``lines``, largest first, where the line whose
    ``feature`` is ``BACKGROUND`` sums the background facts, whose own reasons are in
    ``background_parts`` (shown when expanded); ``excluded`` the labels of the facts the
    model was trained without."""

    lines: list[Reason]
    background_parts: list[Reason]
    excluded: list[str]


def teacher_reasons(
    features: dict,
    contributions: dict,
    *,
    features_used: list[str] | None = None,
    show_background: bool = False,
) -> TeacherReasons:
    """The reasons as a teacher reads them: changeable facts one by one and the background
    facts (gender, race/ethnicity group, lunch, parental education) as ONE line with
    their summed points, unless ``show_background`` (setting
    ``EXPLANATIONS_SHOW_BACKGROUND_FACTS``) lists every fact. Facts the model does not use
    are no reasons. Bars share one scale, set by the largest line or part."""
    every = reasons(features, contributions, features_used=features_used)
    used = features_used if features_used is not None else list(schema.FEATURE_NAMES)
    excluded = [f.label.lower() for f in schema.FEATURES if f.name not in used]
    parts = [r for r in every if r.feature in BACKGROUND_FACTS]
    if show_background or not parts:
        return TeacherReasons(every, [], excluded)
    total = sum(r.points for r in parts)
    lines = [r for r in every if r.feature not in BACKGROUND_FACTS]
    largest = max([abs(total), *(abs(r.points) for r in every)]) or 1.0
    labels = ", ".join(_BACKGROUND_LABELS[n] for n in BACKGROUND_FACTS if n in used)
    combined = Reason(BACKGROUND, f"Background facts ({labels})", total, *_bar(total, largest))
    rescaled = [Reason(r.feature, r.text, r.points, *_bar(r.points, largest)) for r in lines]
    lines = sorted([*rescaled, combined], key=lambda r: abs(r.points), reverse=True)
    parts = [Reason(r.feature, r.text, r.points, *_bar(r.points, largest)) for r in parts]
    return TeacherReasons(lines, parts, excluded)


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
    why: str = ""

    @property
    def delta_text(self) -> str:
        return f"{signed(self.delta)} points"

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "none"


# Said first when the model's answer runs against what a teacher would expect.
PREP_LOWERS_WHY = (
    "Why lower: the model compares students with the same reading and writing scores. "
    "Among past students with these scores, those who had completed the course scored a "
    "little lower in math, most likely because the course had already lifted their reading "
    "and writing. It does not mean the course does harm: it usually lifts all three."
)
PREP_RAISES_WHY = (
    "Why higher: the model compares students with the same reading and writing scores. "
    "Among past students with these scores, those without the course scored a little "
    "higher in math, because reaching these scores without it says something about them. "
    "It does not mean skipping the course helps."
)
READING_LOWERS_WHY = (
    "Why lower: the model holds the writing score where it is. Among past students with "
    "the same writing score, a higher reading score went with a slightly lower math score; "
    "in practice reading and writing usually rise together."
)


def _why(change: dict) -> str:
    """The reason a change moves the figure against intuition, or ""."""
    delta = change["delta"]
    if change["feature"] == "test_preparation_course":
        if change["to"] == "completed" and delta < 0:
            return PREP_LOWERS_WHY
        if change["to"] == "none" and delta > 0:
            return PREP_RAISES_WHY
    if change["feature"] == "reading_score" and delta < 0:
        return READING_LOWERS_WHY
    return ""


def what_if_lines(changes: list[dict]) -> list[WhatIfLine]:
    """``ml.what_if.what_if`` output in words; a change whose answer runs against
    intuition (completing the course lowers the figure) carries ``why``, said first."""
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
        lines.append(
            WhatIfLine(text, change["predicted_math_score"], change["delta"], _why(change))
        )
    return lines
