"""Template tags of the monitoring dashboard: its charts, statuses and number formats."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template

from ml import drift, schema
from predictor.monitoring import charts
from predictor.monitoring import selectors as monitoring

register = template.Library()

CHANNEL_SERIES = (
    ("API", "api", "c-api"),
    ("Form", "form", "c-form"),
    ("Batch", "batch", "c-batch"),
)
STATUS_SERIES = (
    ("Scored", "ok", "c-ok"),
    ("Rejected", "rejected", "c-rejected"),
    ("Failed", "failed", "c-failed"),
)


@register.simple_tag
def volume_chart(volume: dict, by: str):
    """Stacked bars of attempts per bucket, ``by`` ``"channel"`` or ``"status"``."""
    spec, counts = (
        (CHANNEL_SERIES, volume["by_channel"])
        if by == "channel"
        else (STATUS_SERIES, volume["by_status"])
    )
    return charts.stacked_bars(
        buckets=volume["buckets"],
        bucket=volume["bucket"],
        series=[(label, css, counts[key]) for label, key, css in spec],
        title=f"Attempts per {volume['bucket']} by {by}",
    )


@register.simple_tag
def prediction_chart(prediction_drift: dict):
    """The live predictions' histogram over the held-out predictions' histogram."""
    histogram = prediction_drift["histogram"]
    return charts.overlaid_histograms(
        edges=histogram["edges"],
        series=[
            ("Held-out predictions (reference)", "c-reference", histogram["reference"]),
            ("Live predictions", "c-live", histogram["live"]),
        ],
        title="Predicted math score: live against held-out",
    )


@register.filter
def percent(value, digits: int = 1):
    """A fraction as a percentage, ``"—"`` for ``None``."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def pvalue(value):
    """A p-value with three significant digits, ``"< 0.001"`` below that, ``"—"`` for None."""
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3g}"


@register.filter
def number(value, digits: int = 2):
    """A float with ``digits`` decimals, ``"—"`` for ``None``."""
    if value is None:
        return "—"
    return f"{value:,.{int(digits)}f}"


@register.filter
def signed(value, digits: int = 2):
    """A float with its sign always shown (``"+1.20"``, ``"−0.40"``), ``"—"`` for None."""
    if value is None:
        return "—"
    return f"{value:+,.{int(digits)}f}".replace("-", "−")


@register.filter
def milliseconds(value):
    """A latency in ms as ``monitoring.milliseconds_text`` writes it, ``"—"`` for None."""
    return monitoring.milliseconds_text(value) or "—"


@register.filter
def moment(iso: str | None):
    """An ISO timestamp from the report as ``"29 Nov 2026 14:05"`` (UTC), ``"—"`` for None."""
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%d %b %Y %H:%M")


@register.filter
def feature_label(name: str):
    """The schema's label of a feature (the name itself when unknown)."""
    feature = schema.FEATURES_BY_NAME.get(name)
    return feature.label if feature else name.replace("_", " ").capitalize()


VERDICT_LEVELS = {"alert": "Act now", "watch": "Watch", "ok": "OK", "quiet": "Too little data"}


@register.filter
def verdict_level(level: str):
    """The word shown with a verdict's colour (``monitoring.verdict`` levels), so the colour
    is never the only cue."""
    return VERDICT_LEVELS.get(level, level)


@register.filter
def feature_status(row: dict):
    """A drift row's one status, ``ml.drift.feature_status`` of its p-value and PSI."""
    return drift.feature_status(row.get("p_value"), row.get("psi"))


@register.filter
def too_few_scores(n) -> bool:
    """Whether ``n`` real scores are too few for live figures (``ml.drift.MIN_OUTCOMES``)."""
    return (n or 0) < drift.MIN_OUTCOMES
