"""The figures of a window, read from the hourly roll-ups plus a bounded scan of the rows
no roll-up covers yet.

A window (``since`` < created_at ≤ ``until``) is cut into the closed hours that lie wholly
inside it, read from ``HourlyRollup``, and what is left, read from the predictions: the
part of the first hour after ``since``, the hour ``until`` falls in (still open), and any
closed hour without a fresh roll-up (not rolled up yet — the job lags by up to
``services.ROLLUP_GRACE`` plus its period — or stale because a real score was recorded
since). Both sides go through ``figures.add_row``, so a figure is the same whichever side
its rows came from. Cost: one query for the roll-ups' keys (about 2 rows per hour per
version served, no figures), one for the figures of the days this process has not merged
yet (``_days_figures``: each day's roll-ups are merged once and kept by their exact
rows), one for the rows left (normally at most two hours of them), one for the first
attempt (all time only).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from predictor.models import HourlyRollup, Prediction
from predictor.models.monitoring import hour_start
from predictor.monitoring import figures as fig
from predictor.monitoring.windows import Window

HOUR = timedelta(hours=1)


@dataclass
class WindowFigures:
    """What a window adds up to.

    ``by_hour``: ``{hour start: {channel: {status: n}}}`` (the volume chart's counts);
    ``by_version``: ``{model_version_id or None: figures}`` (``figures`` module's shape);
    ``scanned_rows``: attempts read from the predictions rather than from roll-ups.
    """

    by_hour: dict[datetime, dict] = field(default_factory=dict)
    by_version: dict[int | None, dict] = field(default_factory=dict)
    scanned_rows: int = 0
    _total: dict | None = None

    def add(self, hour: datetime, version_id: int | None, figures: dict) -> None:
        attempts = figures.get("attempts")
        if attempts:
            fig.merge(self.by_hour.setdefault(hour, {}), attempts)
        fig.merge(self.by_version.setdefault(version_id, {}), figures)
        self._total = None

    @property
    def total(self) -> dict:
        """Every version's figures added up."""
        if self._total is None:
            self._total = {}
            for figures in self.by_version.values():
                fig.merge(self._total, figures)
        return self._total

    def version(self, version_id: int | None) -> dict:
        return self.by_version.get(version_id, {})

    def add_day(self, day: _Day) -> None:
        """Add a day's merged roll-ups (``_days_figures``)."""
        for hour, attempts in day.by_hour.items():
            fig.merge(self.by_hour.setdefault(hour, {}), attempts)
        for version_id, figures in day.by_version.items():
            fig.merge(self.by_version.setdefault(version_id, {}), figures)
        self._total = None


@dataclass
class _Day:
    """The roll-ups of one UTC day's covered hours, merged: attempts per hour, figures per
    version."""

    by_hour: dict[datetime, dict] = field(default_factory=dict)
    by_version: dict[int | None, dict] = field(default_factory=dict)


# Merged days by the exact roll-up rows they came from (id, computed_at, generation): a
# row recomputed gets a new key, so an entry is never out of date, only unused. Roll-ups
# of closed hours rarely change, so a render mostly merges 30 days, not 720 hours.
DAY_CACHE_ENTRIES = 2000
_day_cache: OrderedDict[tuple, _Day] = OrderedDict()


def _days_figures(by_day: dict[datetime, list[tuple]]) -> list[_Day]:
    """Each day's merged roll-ups (rows ``(id, hour, version, generation, computed_at)``),
    from this process's cache or read and merged once."""
    keys = {day: tuple(sorted((r[0], r[3], r[4]) for r in rows)) for day, rows in by_day.items()}
    missing = [day for day, key in keys.items() if key not in _day_cache]
    ids = [r[0] for day in missing for r in by_day[day]]
    figures_of = dict(HourlyRollup.objects.filter(id__in=ids).values_list("id", "figures"))
    for day in missing:
        merged = _Day()
        for row_id, hour, version_id, _generation, _at in by_day[day]:
            figures = figures_of.get(row_id, {})
            if figures.get("attempts"):
                fig.merge(merged.by_hour.setdefault(hour, {}), figures["attempts"])
            fig.merge(merged.by_version.setdefault(version_id, {}), figures)
        _day_cache[keys[day]] = merged
        while len(_day_cache) > DAY_CACHE_ENTRIES:
            _day_cache.popitem(last=False)
    found = []
    for key in keys.values():
        _day_cache.move_to_end(key)
        found.append(_day_cache[key])
    return found


def window_figures(window: Window) -> WindowFigures:
    """The figures of ``window`` (see the module's docstring for how they are read)."""
    result = WindowFigures()
    last_closed = hour_start(window.until)  # hours before it end by ``until``
    first_full = None if window.since is None else hour_start(window.since) + HOUR
    if first_full is None:
        first = Prediction.objects.order_by("created_at").values_list("created_at", flat=True)
        first_attempt = first.first()
        if first_attempt is None:
            return result
        first_full = hour_start(first_attempt)
    rollups = HourlyRollup.objects.filter(hour__gte=first_full, hour__lt=last_closed).values_list(
        "id", "hour", "model_version_id", "outcome_generation", "computed_generation", "computed_at"
    )
    covered: set[datetime] = set()
    stale: set[datetime] = set()
    kept = []
    for row_id, hour, version_id, generation, computed, computed_at in rollups:
        if generation != computed:
            stale.add(hour)
        if version_id is None:
            covered.add(hour)
        kept.append((row_id, hour, version_id, computed, computed_at))
    covered -= stale
    by_day: dict[datetime, list[tuple]] = {}
    for row in kept:
        if row[1] in covered:
            by_day.setdefault(row[1].replace(hour=0), []).append(row)
    for day in _days_figures(by_day):
        result.add_day(day)

    ranges = []
    if window.since is not None:
        ranges.append(
            Q(created_at__gt=window.since, created_at__lt=first_full, created_at__lte=window.until)
        )
    hour = first_full
    while hour < last_closed:
        if hour not in covered:
            start = hour
            while hour < last_closed and hour not in covered:
                hour += HOUR
            ranges.append(Q(created_at__gte=start, created_at__lt=hour))
        hour += HOUR
    ranges.append(Q(created_at__gte=max(last_closed, first_full), created_at__lte=window.until))
    condition = Q()
    for part in ranges:
        condition |= part
    rows = Prediction.objects.order_by().filter(condition).values_list(*fig.ROW_FIELDS)
    scanned = fig.figures_by_hour_and_version(rows.iterator(chunk_size=5000))
    for (hour, version_id), figures in scanned.items():
        result.scanned_rows += fig.attempts_total(figures)
        result.add(hour, version_id, figures)
    return result
