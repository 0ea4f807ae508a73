"""What scheduled monitoring reports found (so the dashboard can show when alerts rose), and
the hourly roll-ups of the predictions that the dashboard reads instead of the rows."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class MonitoringReport(models.Model):
    """One run of ``monitor_report --record``: its window and its alerts in words.

    ``alerts``: the list ``predictor.monitoring.selectors.alerts`` returned (empty when all
    was well), kept as raised at ``created_at``."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    window = models.CharField(max_length=8)
    alerts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"monitoring report {self.created_at:%Y-%m-%d %H:%M} ({len(self.alerts)} alerts)"


def hour_start(moment: datetime) -> datetime:
    """The UTC hour ``moment`` falls in (its start, aware): the ``hour`` of its roll-up."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class HourlyRollupQuerySet(models.QuerySet):
    def outcomes_changed(self, predictions) -> int:
        """Mark the roll-ups holding ``predictions`` (``(created_at, model_version_id)``
        pairs) as changed by real scores recorded since they were computed: one UPDATE
        raising ``outcome_generation``. Hours not rolled up yet are left alone (their first
        roll-up reads the outcome). Returns the rows marked."""
        condition = Q()
        for created_at, version_id in {(hour_start(c), v) for c, v in predictions}:
            condition |= Q(hour=created_at, model_version_id=version_id)
        if not condition:
            return 0
        return self.filter(condition).update(outcome_generation=F("outcome_generation") + 1)


class HourlyRollup(models.Model):
    """What one hour of prediction attempts (UTC, ``hour`` ≤ created_at < hour + 1 h)
    of one model version adds up to, so the dashboard never scans the predictions.

    ``model_version`` null: attempts no version scored (rejected, failed with no model);
    that row is written for every rolled-up hour, even a quiet one, and marks the hour as
    rolled up. ``figures``: the sums and counts of ``predictor.monitoring.figures.Figures``
    (their JSON shape is documented there). ``outcome_generation`` is raised each time a
    real score is recorded for a prediction of this hour and version
    (``HourlyRollupQuerySet.outcomes_changed``); ``computed_generation`` is the value it
    had when ``figures`` were read, so the row is stale while the two differ.
    """

    hour = models.DateTimeField()
    model_version = models.ForeignKey(
        "predictor.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hourly_rollups",
    )
    attempts = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)
    outcome_generation = models.PositiveIntegerField(default=0)
    computed_generation = models.PositiveIntegerField(default=0)

    objects = HourlyRollupQuerySet.as_manager()

    class Meta:
        ordering = ["hour"]
        indexes = [models.Index(fields=["hour", "model_version"], name="rollup_hour_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "model_version"],
                condition=models.Q(model_version__isnull=False),
                name="one_rollup_per_hour_and_version",
            ),
            models.UniqueConstraint(
                fields=["hour"],
                condition=models.Q(model_version__isnull=True),
                name="one_unversioned_rollup_per_hour",
            ),
        ]

    def __str__(self) -> str:
        return f"roll-up {self.hour:%Y-%m-%d %H:00} v{self.model_version_id or '-'}"

    @property
    def stale(self) -> bool:
        return self.outcome_generation != self.computed_generation
