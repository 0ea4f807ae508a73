"""The one write of monitoring: keep what a scheduled report found."""

from __future__ import annotations

from predictor.models import MonitoringReport


def monitoring_report_record(*, report: dict) -> MonitoringReport:
    """Store ``report``'s alerts (``selectors.report`` output) with its window's key and
    the time now, for the dashboard's list of alerts raised by scheduled reports."""
    return MonitoringReport.objects.create(
        window=report["window"]["key"], alerts=list(report["alerts"])
    )
