"""Hourly roll-ups: every dashboard figure read from them equals the figure computed from
the rows (row_reference), also after a real score is recorded for an hour already rolled
up; the job rolls up only what is due; the command (re)builds a range."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ml.data import OutcomeRow
from predictor.models import HourlyRollup, Prediction
from predictor.monitoring import rollups, services, windows
from predictor.monitoring import selectors as monitoring
from predictor.predictions.services import prediction_record_outcome, prediction_record_outcomes
from predictor.predictions.simulation import traffic_simulate
from tests.predictor.monitoring.row_reference import reference_report

ROOT = Path(__file__).resolve().parents[3]
LATENCY_BUCKET_ERROR = 0.025  # figures.latency_percentiles


def assert_same_figures(report: dict, expected: dict, production) -> None:
    """Every figure of ``report`` (selectors.report) equals ``expected`` (row_reference)."""
    traffic = report["traffic"]
    assert traffic["total"] == expected["traffic"]["total"]
    assert {k: v for k, v in traffic["by_status"].items() if v} == expected["traffic"]["by_status"]
    assert {k: v for k, v in traffic["by_channel"].items() if v} == dict(
        expected["traffic"]["by_channel"]
    )
    volume = report["volume"]
    from_chart = {}
    for channel, counts in volume["by_channel"].items():
        for bucket, n in zip(volume["buckets"], counts, strict=True):
            if n:
                from_chart[(bucket, channel)] = n
    per_channel = {}
    for (bucket, channel, _status), n in expected["per_bucket"].items():
        per_channel[(bucket, channel)] = per_channel.get((bucket, channel), 0) + n
    assert from_chart == per_channel
    for status, counts in volume["by_status"].items():
        got = {b: n for b, n in zip(volume["buckets"], counts, strict=True) if n}
        summed = {}
        for (bucket, _channel, s), n in expected["per_bucket"].items():
            if s == status:
                summed[bucket] = summed.get(bucket, 0) + n
        assert got == summed, status

    assert report["rejection_reasons"] == [
        {**r, "share": pytest.approx(r["share"])} for r in expected["rejection_reasons"]
    ]
    latency = report["latency"]
    assert latency["n"] == expected["latency"]["n"]
    for key in ("p50", "p95", "p99"):
        if expected["latency"][key] is None:
            assert latency[key] is None
        else:
            assert latency[key] == pytest.approx(expected["latency"][key], rel=LATENCY_BUCKET_ERROR)

    if expected["drift"] is not None:
        for got, wanted in zip(
            report["drift"]["features"], expected["drift"]["features"], strict=True
        ):
            assert _rounded(got) == _rounded(wanted), wanted["feature"]
    assert _rounded(report["drift"]) == _rounded(expected["drift"])
    assert _rounded(report["prediction_drift"]) == _rounded(expected["prediction_drift"])

    for item in report["versions"]:
        wanted = expected["live"].get(item["version_id"], {"served": 0, "n": 0})
        live = item["live"]
        assert live["served"] == wanted["served"] and live["n"] == wanted["n"]
        for key in ("mae", "rmse", "r2", "coverage"):
            if live["n"]:
                assert live[key] == pytest.approx(wanted[key], rel=1e-9, abs=1e-9), key

    for attribute in report["fairness"]["attributes"]:
        for group in attribute["groups"]:
            wanted = expected["fairness"][(attribute["attribute"], group["group"])]
            assert group["n"] == wanted["n"]
            assert group["enough"] == (wanted["n"] >= 30)
            for key in ("mae", "bias", "coverage"):
                if wanted[key] is None:
                    assert group[key] is None
                else:
                    assert group[key] == pytest.approx(wanted[key], rel=1e-9, abs=1e-9)


def _rounded(value):
    """Drift results with floats rounded to 9 digits (sums added in another order)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items() if k != "version"}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def _report(key: str, now):
    report = monitoring.report(window=windows.window_from(key, now=now))
    ids = {v.version: v.pk for v in _versions()}
    for item in report["versions"]:
        item["version_id"] = ids[item["version"]]
    return report


def _versions():
    from predictor.models import ModelVersion

    return ModelVersion.objects.all()


def _simulate(production_model) -> None:
    traffic_simulate(
        rows=3000, days=40, drift=True, drift_days=5, model_version=production_model, seed=3
    )


def check_every_window(production_model, now) -> None:
    # As stored: PostgreSQL's jsonb orders a profile's keys its own way, and drift's tie
    # between two categories' shifts goes to the first.
    production_model.refresh_from_db()
    for key in windows.WINDOWS:
        window = windows.window_from(key, now=now)
        assert_same_figures(
            _report(key, now), reference_report(window, production_model), production_model
        )


def test_every_dashboard_figure_from_rollups_equals_the_figures_from_the_rows(db, production_model):
    """3,000 simulated attempts over 40 days (rejections, failures, batch rows, an outage,
    drift, real scores), rolled up: in every window each figure on the dashboard equals
    the one computed from the rows, and only the open hour and the window's first partial
    hour are read from the rows; then a real score recorded for a 5-day-old prediction
    (one at a time, and a file of them) changes the figures at once (its hour is read
    from the rows while stale) and again after the job re-rolls that hour."""
    _simulate(production_model)
    now = timezone.now()
    assert services.rollups_refresh(now=now) >= 40 * 24 - 1
    assert not HourlyRollup.objects.exclude(outcome_generation=0, computed_generation=0).exists()
    check_every_window(production_model, now)
    figures = rollups.window_figures(windows.window_from("all", now=now))
    two_hours = Prediction.objects.filter(created_at__gte=now - timedelta(hours=2)).count()
    assert figures.scanned_rows <= two_hours

    old = (
        Prediction.objects.filter(
            status="ok",
            actual_math_score__isnull=True,
            created_at__lt=now - timedelta(days=5),
            created_at__gt=now - timedelta(days=6),
        )
        .order_by("created_at")
        .all()
    )
    one, *more = list(old[:4])
    prediction_record_outcome(prediction=one, actual_math_score=12)
    report = prediction_record_outcomes(
        rows=[OutcomeRow(p.pk, "", 95, {}) for p in more], user=_staff()
    )
    assert report.recorded == 3
    stale = HourlyRollup.objects.exclude(outcome_generation=0)
    assert stale.count() >= 1 and all(r.stale for r in stale)
    check_every_window(production_model, now)  # stale hours come from the rows
    assert services.rollups_refresh(now=now) == len({r.hour for r in stale})
    assert not any(r.stale for r in HourlyRollup.objects.all())
    check_every_window(production_model, now)
    live = _report("7d", now)["versions"][0]["live"]
    assert (
        live["n"]
        == reference_report(windows.window_from("7d", now=now), None)["live"][production_model.pk][
            "n"
        ]
    )


def _staff():
    from django.contrib.auth.models import User

    return User.objects.create_user("rollup-staff", is_staff=True)


def test_hours_not_rolled_up_yet_are_read_from_the_rows(db, production_model):
    """Without any roll-up the dashboard still shows the right figures (all from rows),
    and the job then rolls up each closed hour once: a second run finds nothing due."""
    traffic_simulate(rows=400, days=3, model_version=production_model, seed=4)
    now = timezone.now()
    check_every_window(production_model, now)
    assert services.rollups_refresh(now=now) > 0
    assert services.rollups_due(now=now) == []
    assert services.rollups_refresh(now=now) == 0
    check_every_window(production_model, now)


def test_the_last_hour_is_rolled_up_only_after_the_grace_period(db, production_model):
    """An attempt 1 minute into the current hour is not rolled up 2 minutes later (a
    request may still be committing rows stamped in it) but is after the grace period."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    row = Prediction.objects.create(status="rejected", channel="api", errors={"lunch": "x"})
    Prediction.objects.filter(pk=row.pk).update(created_at=start + timedelta(minutes=1))
    assert services.rollups_due(now=start + timedelta(minutes=2)) == []
    due = services.rollups_due(now=start + timedelta(hours=1) + services.ROLLUP_GRACE)
    assert due == [start]


def test_rollups_build_rebuilds_a_range_and_refuses_a_bad_date(db, production_model):
    """The command's range mode recomputes rolled-up hours after history was written into
    them; a malformed --since names the option and the expected format."""
    traffic_simulate(rows=200, days=2, model_version=production_model, seed=5)
    out = StringIO()
    call_command("rollups_build", stdout=out)
    assert "rolled up" in out.getvalue()
    hours = HourlyRollup.objects.filter(model_version__isnull=True).count()
    # History written into hours already rolled up is invisible until rebuilt.
    traffic_simulate(rows=200, days=2, model_version=production_model, seed=6)
    call_command("rollups_build", "--all", stdout=out)
    assert HourlyRollup.objects.filter(model_version__isnull=True).count() == hours
    check_every_window(production_model, timezone.now())
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--since must be an ISO date"):
        call_command("rollups_build", "--since", "yesterday")


def test_simulate_traffic_rolls_up_the_history_it_writes(db, production_model):
    """simulate_traffic writes into past hours, so it rebuilds their roll-ups itself."""
    call_command("rollups_build", stdout=StringIO())
    call_command("simulate_traffic", "--rows", "300", "--days", "2", stdout=StringIO())
    assert HourlyRollup.objects.filter(attempts__gt=0).exists()
    check_every_window(production_model, timezone.now())


@pytest.mark.slow
@pytest.mark.postgres
def test_rollups_equal_the_row_figures_on_postgresql(postgres_url):
    """The comparisons above, run by a second pytest on a throwaway PostgreSQL database."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "TEST_POSTGRES_URL": postgres_url,
        "TEST_DATABASE_NAME": f"test_rollups_{uuid.uuid4().hex[:10]}",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not postgres",
            str(Path(__file__).relative_to(ROOT)),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1]


def test_one_pass_of_the_scheduler_rolls_up_the_closed_hours(db, production_model):
    """run_schedule --once (what compose's scheduler and make run loop on) leaves no hour
    due: the roll-up job is part of the periodic work."""
    traffic_simulate(rows=100, days=1, model_version=production_model, seed=7)
    HourlyRollup.objects.all().delete()
    assert services.rollups_due() != []
    call_command("run_schedule", "--once", stdout=StringIO(), stderr=StringIO())
    assert services.rollups_due() == []
