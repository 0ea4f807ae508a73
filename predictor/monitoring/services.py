"""The writes of monitoring: keep what a scheduled report found, and keep the hourly
roll-ups of the predictions (``HourlyRollup``) up to date.

Roll-ups are maintained by a periodic job, not on the request path: storing a prediction
costs nothing more, and ``rollups_refresh`` (``manage.py rollups_build``, every minute from
``run_schedule``) rolls up every closed hour not rolled up yet and every hour a real score
was recorded for since its roll-up (the outcome services mark them:
``HourlyRollup.objects.outcomes_changed``). An hour is rolled up ``ROLLUP_GRACE`` after it
closes, so a request or batch chunk still committing rows stamped in it is counted; until
then the dashboard reads that hour from the rows (``rollups.window_figures``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from predictor.models import HourlyRollup, MonitoringReport, Prediction
from predictor.models.monitoring import hour_start
from predictor.monitoring import figures as fig

ROLLUP_GRACE = timedelta(minutes=5)
# Hours rolled up in one transaction (one read of their rows).
HOURS_PER_TRANSACTION = 24
HOUR = timedelta(hours=1)


def monitoring_report_record(*, report: dict) -> MonitoringReport:
    """Store ``report``'s alerts (``selectors.report`` output) with its window's key and
    the time now, for the dashboard's list of alerts raised by scheduled reports."""
    return MonitoringReport.objects.create(
        window=report["window"]["key"], alerts=list(report["alerts"])
    )


def rollups_compute(*, hours: Iterable[datetime]) -> int:
    """(Re)compute the roll-ups of ``hours`` (hour starts, UTC) from the predictions.

    Runs of consecutive hours, up to ``HOURS_PER_TRANSACTION`` at a time, are read and
    written in one transaction. The hours' existing roll-ups are locked first (``SELECT …
    FOR UPDATE`` on PostgreSQL; SQLite's immediate transactions hold the write lock), so
    an outcome recorded meanwhile waits and then marks the new roll-up stale rather than
    being lost. Every hour gets its version-less row (the "rolled up" mark), even a quiet
    one. Returns the number of hours computed.
    """
    ordered = sorted({hour_start(h) for h in hours})
    runs: list[list[datetime]] = []
    for hour in ordered:
        if runs and hour - runs[-1][-1] == HOUR and len(runs[-1]) < HOURS_PER_TRANSACTION:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    for run in runs:
        _compute_run(run)
    return len(ordered)


def _compute_run(run: list[datetime]) -> None:
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (r.hour, r.model_version_id): r
            for r in HourlyRollup.objects.select_for_update().filter(hour__in=run)
        }
        rows = (
            Prediction.objects.order_by()
            .filter(created_at__gte=run[0], created_at__lt=run[-1] + HOUR)
            .values_list(*fig.ROW_FIELDS)
        )
        computed = fig.figures_by_hour_and_version(rows.iterator(chunk_size=5000))
        for hour in run:
            computed.setdefault((hour, None), {})
        changed, created = [], []
        for key in set(existing) | set(computed):
            figures = computed.get(key, {})
            rollup = existing.get(key)
            if rollup is None:
                rollup = HourlyRollup(hour=key[0], model_version_id=key[1])
                created.append(rollup)
            else:
                changed.append(rollup)
            rollup.figures = figures
            rollup.attempts = fig.attempts_total(figures)
            rollup.computed_at = now
            rollup.computed_generation = rollup.outcome_generation
        HourlyRollup.objects.bulk_update(
            changed, ["figures", "attempts", "computed_at", "computed_generation"]
        )
        # A second scheduler computing the same new hour at once writes the same figures.
        HourlyRollup.objects.bulk_create(created, ignore_conflicts=True)


def rollups_due(*, now: datetime | None = None) -> list[datetime]:
    """Hours whose roll-up is missing or stale: every closed hour (ended ``ROLLUP_GRACE``
    ago) from the first attempt's on without its version-less row, and every hour with a
    real score recorded since its roll-up."""
    closed_until = hour_start((now or timezone.now()) - ROLLUP_GRACE)
    first = Prediction.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return []
    rolled = set(
        HourlyRollup.objects.filter(model_version__isnull=True).values_list("hour", flat=True)
    )
    stale = set(
        HourlyRollup.objects.exclude(outcome_generation=F("computed_generation")).values_list(
            "hour", flat=True
        )
    )
    due = []
    hour = hour_start(first)
    while hour < closed_until:
        if hour not in rolled or hour in stale:
            due.append(hour)
        hour += HOUR
    return due


def rollups_refresh(*, now: datetime | None = None) -> int:
    """Compute the roll-ups that are due (``rollups_due``); returns the hours computed."""
    return rollups_compute(hours=rollups_due(now=now))


def rollups_rebuild(*, since: datetime, until: datetime, now: datetime | None = None) -> int:
    """Recompute every closed hour that overlaps ``since`` … ``until`` (fresh or not),
    e.g. after history was written with past times; returns the hours computed."""
    closed_until = hour_start((now or timezone.now()) - ROLLUP_GRACE)
    hours = []
    hour = hour_start(since)
    while hour < min(until, closed_until):
        hours.append(hour)
        hour += HOUR
    return rollups_compute(hours=hours)
