"""manage.py simulate_traffic: realistic synthetic history for the dashboard."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Avg
from django.utils import timezone

from predictor.models import Prediction


def test_it_writes_a_realistic_mix_with_a_drifted_period(production_model):
    """600 attempts over 10 days: all channels and outcomes, real scores, a shifted tail."""
    out = StringIO()
    call_command(
        "simulate_traffic", "--rows", "600", "--days", "10", "--drift", "--seed", "3", stdout=out
    )
    assert "Wrote 600 attempts" in out.getvalue()
    rows = Prediction.objects.all()
    assert rows.count() == 600
    assert set(rows.values_list("channel", flat=True)) == {"api", "form", "batch"}
    assert {"ok", "rejected"} <= set(rows.values_list("status", flat=True))
    assert (
        rows.filter(status="rejected").exclude(errors={}).count()
        == rows.filter(status="rejected").count()
    )
    assert rows.filter(actual_math_score__isnull=False, status="ok").exists()
    assert not rows.filter(status="ok", model_version__isnull=True).exists()
    assert rows.exclude(reference__startswith="sim:").count() == 0
    oldest = rows.order_by("created_at").first().created_at
    assert timezone.now() - oldest > timedelta(days=5)
    drifted = rows.filter(reference__startswith="sim:drift", status="ok")
    base = rows.filter(reference__startswith="sim:base", status="ok")
    assert drifted.exists() and base.exists()
    assert (
        drifted.aggregate(m=Avg("reading_score"))["m"]
        < base.aggregate(m=Avg("reading_score"))["m"] - 5
    )


def test_it_says_how_to_train_when_there_is_no_model(db):
    """No model in production: a plain error, nothing written."""
    with pytest.raises(CommandError, match="train_model"):
        call_command("simulate_traffic", "--rows", "10")
    assert Prediction.objects.count() == 0


def test_an_unknown_model_version_is_named_not_a_traceback(production_model):
    """``--model-version 99`` with no v99: a CommandError naming it, nothing written."""
    with pytest.raises(CommandError, match="no model version v99"):
        call_command("simulate_traffic", "--rows", "10", "--model-version", "99")
    assert Prediction.objects.count() == 0


def test_history_can_be_built_in_phases_with_the_same_seed(production_model):
    """Two runs with the default seed (two periods of history): both stored, their batch
    rows in distinct batches (a batch row is unique by batch id and row)."""
    for ending in ("10", "20"):
        call_command(
            "simulate_traffic",
            "--rows",
            "400",
            "--days",
            "5",
            "--ending-days-ago",
            ending,
            stdout=StringIO(),
        )
    assert Prediction.objects.count() == 800
    batch_rows = Prediction.objects.filter(batch_id__isnull=False)
    assert batch_rows.values("batch_id", "batch_row").distinct().count() == batch_rows.count()


@pytest.mark.parametrize(
    "option, value, rule",
    [
        ("--days", "-2", "--days must be more than 0"),
        ("--days", "nan", "--days must be more than 0"),
        ("--days", "1e9", "at most 36,500 days"),
        ("--ending-days-ago", "-3", "--ending-days-ago must be 0 or more"),
        ("--ending-days-ago", "1e9", "at most 36,500 days"),
        ("--drift-days", "0", "--drift-days must be more than 0"),
    ],
)
def test_a_period_out_of_range_is_named_not_a_traceback(production_model, option, value, rule):
    """No future rows, no OverflowError: a CommandError naming the option, nothing written."""
    with pytest.raises(CommandError, match=rule):
        call_command("simulate_traffic", "--rows", "10", option, value)
    assert Prediction.objects.count() == 0
