"""Scheduled monitoring: run_schedule records monitor_report's alerts, and the dashboard
lists them with when they were raised."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from predictor.models import MonitoringReport, Prediction
from tests.factories import STUDENT


def test_a_scheduled_report_records_its_alerts_and_the_dashboard_shows_when(production_model):
    """One run_schedule pass: the live-accuracy alert is stored with its time and window,
    and /admin/monitoring/ lists it under the scheduled reports."""
    Prediction.objects.bulk_create(
        Prediction(
            status="ok",
            channel="api",
            predicted_math_score=50,
            actual_math_score=70,
            interval_low=40,
            interval_high=60,
            model_version=production_model,
            **STUDENT,
        )
        for _ in range(30)
    )
    call_command("run_schedule", "--once", stdout=StringIO(), stderr=StringIO())
    report = MonitoringReport.objects.get()
    assert report.window == "7d"  # monitor_report's default window
    assert any("live accuracy: v1 MAE 20.00" in a for a in report.alerts)

    client = Client()
    client.force_login(User.objects.create_user("lead", is_staff=True))
    page = client.get("/admin/monitoring/").content.decode()
    assert "Alerts raised by scheduled reports" in page
    assert f'datetime="{report.created_at.isoformat()}"' in page
    assert "Live accuracy: v1 MAE 20.00" in page


def test_a_report_without_alerts_is_recorded_as_a_run(production_model):
    """All well: the run is recorded (so the page says when it last ran), with no alert."""
    call_command("monitor_report", "--record", stdout=StringIO())
    assert MonitoringReport.objects.get().alerts == []
