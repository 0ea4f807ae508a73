"""What scheduled monitoring reports found, so the dashboard can show when alerts rose."""

from __future__ import annotations

from django.db import models
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
