"""The periods the dashboard and monitor_report cover (24 h, 7 days, 30 days, all time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class Window:
    """A period to report on: ``since`` (``None`` for all time) up to ``until``.

    ``bucket`` is the resolution of the volume chart: ``"hour"`` or ``"day"``.
    """

    key: str
    label: str
    since: datetime | None
    until: datetime
    bucket: str


WINDOWS = {
    "24h": ("last 24 hours", timedelta(hours=24), "hour"),
    "7d": ("last 7 days", timedelta(days=7), "hour"),
    "30d": ("last 30 days", timedelta(days=30), "day"),
    "all": ("all time", None, "day"),
}


DEFAULT_WINDOW = "7d"


def window_from(key: str | None, *, now: datetime | None = None) -> Window:
    """The ``Window`` named ``key`` (``24h``, ``7d``, ``30d`` or ``all``; ``None`` → 7d).

    Raises ``ValueError`` naming the allowed keys for anything else.
    """
    key = key or DEFAULT_WINDOW
    if key not in WINDOWS:
        raise ValueError(f"window must be one of: {', '.join(WINDOWS)}; got {key!r}")
    label, span, bucket = WINDOWS[key]
    until = now or timezone.now()
    return Window(key, label, until - span if span else None, until, bucket)
