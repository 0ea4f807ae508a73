"""manage.py monitor_report: the dashboard's verdicts as text or JSON, exit 2 on an alert."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from predictor.models import Prediction
from tests.factories import STUDENT


def run(*args) -> str:
    out = StringIO()
    call_command("monitor_report", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_verdicts_and_exits_0_when_all_is_well(production_model):
    """A few ordinary predictions: the report prints and raises nothing (exit 0)."""
    Prediction.objects.create(
        status="ok",
        channel="api",
        predicted_math_score=70,
        latency_ms=2.5,
        model_version=production_model,
        **STUDENT,
    )
    text = run("--window", "24h")
    assert "Monitoring report, last 24 hours" in text
    assert "Production: v1 ridge" in text
    assert "Input drift vs v1 training data: NOT ENOUGH DATA" in text
    assert "v1 (production): 1 scored, 0 real scores" in text
    assert text.rstrip().endswith("No alert.")


def test_it_exits_2_when_live_accuracy_crosses_the_alert_line(production_model):
    """Thirty real scores 20 points off: the alert is printed and the exit status is 2."""
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
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("monitor_report", "--window", "7d", stdout=out)
    assert raised.value.returncode == 2
    assert "live accuracy: v1 MAE 20.00" in str(raised.value)
    assert "ALERT" in out.getvalue()


def test_json_output_holds_the_whole_report(production_model):
    """--json prints the report the dashboard renders, parseable."""
    report = json.loads(run("--json", "--window", "all"))
    assert report["window"]["key"] == "all" and report["production"]["version"] == 1
    assert {"traffic", "volume", "latency", "drift", "prediction_drift", "versions", "alerts"} <= (
        report.keys()
    )


def test_it_opens_with_the_dashboards_verdict_in_text_and_json(production_model):
    """The first line after the title is the dashboard's verdict; --json carries it too."""
    from tests.factories import make_drifted_accurate_traffic

    make_drifted_accurate_traffic(40)
    with pytest.raises(CommandError):  # the drift raises alerts: exit 2
        call_command("monitor_report", "--window", "24h", stdout=(out := StringIO()))
    second = out.getvalue().splitlines()[1]
    assert second.startswith("Verdict (watch): Inputs have drifted on 4 of 7 features since v1")
    assert "live accuracy on 40 real scores is as good as at training" in second
    with pytest.raises(CommandError):
        call_command("monitor_report", "--window", "24h", "--json", stdout=(out := StringIO()))
    found = json.loads(out.getvalue())["verdict"]
    assert found["rule"] == "drift-accurate" and found["text"] in second


def test_an_unknown_window_is_a_usage_error(db):
    """--window 2w names the allowed windows (exit 1)."""
    with pytest.raises(CommandError, match="24h, 7d, 30d, all") as raised:
        run("--window", "2w")
    assert raised.value.returncode == 1


def test_it_alerts_when_most_attempts_fail(db):
    """With no model in production every attempt fails: that is an alert, exit status 2."""
    Prediction.objects.bulk_create(
        [Prediction(channel="api", status="failed", errors={"model": "none"}) for _ in range(40)]
    )
    with pytest.raises(CommandError, match="failures: 100% of 40 attempts failed") as raised:
        call_command("monitor_report", "--window", "24h", stdout=StringIO())
    assert raised.value.returncode == 2


@pytest.mark.parametrize(
    ("value", "text"), [(0.0123, "0.0123"), (1.234, "1.23"), (9.99, "9.99"), (12.34, "12.3")]
)
def test_latency_shows_the_decimals_it_needs(value, text):
    """The fast path's ~0.01 ms must not read 0.0 ms on the dashboard or in the report."""
    from predictor.monitoring.selectors import milliseconds_text
    from predictor.templatetags.monitoring_tags import milliseconds

    assert milliseconds_text(value) == text
    assert milliseconds(value) == text
    assert milliseconds(None) == "—"


def test_a_rare_failure_rate_is_not_shown_as_zero():
    from predictor.management.commands.monitor_report import _pct

    assert _pct(1 / 15_000) == "<0.1%"
    assert _pct(0.0) == "0.0%"
    assert _pct(0.058) == "5.8%"
    assert _pct(None) == "-"
