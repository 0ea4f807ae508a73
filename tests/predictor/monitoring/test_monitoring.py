"""predictor.monitoring: the dashboard's aggregates, from predictions made in the test."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ml import drift, schema
from predictor.models import Prediction
from predictor.monitoring import selectors as monitoring
from predictor.monitoring import windows
from tests.factories import STUDENT


def add(status="ok", channel="api", age=timedelta(minutes=5), **fields) -> Prediction:
    """Store one prediction attempt made ``age`` ago (scored ones get a default score)."""
    values = {"status": status, "channel": channel}
    if status == "ok":
        values.update(STUDENT)
        values.setdefault("predicted_math_score", 70.0)
    values.update(fields)
    row = Prediction.objects.create(**values)
    Prediction.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


def window(key="7d"):
    return windows.window_from(key)


def test_window_from_rejects_an_unknown_key_naming_the_allowed_ones():
    """ "2w" is refused with the list of windows; no key means the last 7 days."""
    with pytest.raises(ValueError, match="24h, 7d, 30d, all"):
        windows.window_from("2w")
    default = windows.window_from(None)
    assert default.key == "7d" and default.until - default.since == timedelta(days=7)
    assert windows.window_from("all").since is None


def test_volume_and_traffic_count_attempts_by_channel_and_status(db):
    """Three scored API calls, a rejected form and a failed batch row, by hour; older rows out."""
    for _ in range(3):
        add()
    add(status="rejected", channel="form", errors={"lunch": ["required"]})
    add(status="failed", channel="batch", errors={"model": "down"})
    add(age=timedelta(days=2))  # outside 24 h
    volume = monitoring.volume(window=window("24h"))
    traffic = monitoring.traffic(volume=volume)
    assert volume["bucket"] == "hour" and len(volume["buckets"]) in (24, 25)
    assert sum(volume["by_channel"]["api"]) == 3 and sum(volume["by_status"]["failed"]) == 1
    assert traffic["total"] == 5
    assert traffic["by_status"] == {"ok": 3, "rejected": 1, "failed": 1}
    assert traffic["by_channel"] == {"form": 1, "api": 3, "batch": 1}
    assert traffic["rejection_rate"] == pytest.approx(0.2)
    assert traffic["failure_rate"] == pytest.approx(0.2)
    assert monitoring.traffic(volume=monitoring.volume(window=window("7d")))["total"] == 6


def test_the_all_time_window_starts_at_the_first_attempt_by_day(db):
    """All time buckets by day, from the first attempt's day to today."""
    add(age=timedelta(days=3))
    add()
    volume = monitoring.volume(window=window("all"))
    assert volume["bucket"] == "day" and len(volume["buckets"]) in (4, 5)
    assert sum(volume["by_status"]["ok"]) == 2


def test_rejection_reasons_rank_the_fields_named_in_errors(db):
    """Two rejections name reading_score, one names lunch and gender: shares of 3 rejections."""
    add(status="rejected", errors={"reading_score": ["must be between 0 and 100"]})
    add(status="rejected", errors={"reading_score": ["must be a whole number"]})
    add(status="rejected", errors={"lunch": ["required"], "gender": ["bad"]})
    add()
    reasons = monitoring.rejection_reasons(window=window())
    assert reasons[0] == {"field": "reading_score", "n": 2, "share": pytest.approx(2 / 3)}
    assert {(r["field"], r["n"]) for r in reasons[1:]} == {("gender", 1), ("lunch", 1)}


def test_latency_percentiles_interpolate_between_order_statistics(db):
    """Latencies 1, 2, 4, 8, 100 ms: p50 = 4, p95 = 8 + 0.8·92 = 81.6, p99 = 96.32, each
    within the latency histogram's bucket error (2.5 %, figures.latency_percentiles)."""
    for value in (8, 1, 100, 4, 2):
        add(latency_ms=value)
    add(status="rejected", latency_ms=None)
    result = monitoring.latency(window=window())
    assert result["n"] == 5
    assert result["p50"] == pytest.approx(4, rel=0.025)
    assert result["p95"] == pytest.approx(81.6, rel=0.025)
    assert result["p99"] == pytest.approx(96.32, rel=0.025)


def test_latency_without_scored_attempts_is_empty(db):
    """No scored attempt, no percentile."""
    assert monitoring.latency(window=window()) == {"n": 0, "p50": None, "p95": None, "p99": None}


def test_live_accuracy_per_version_comes_from_the_recorded_outcomes(db, production_model):
    """Actual 70, 80, 90 for predictions 72, 77, 90 give MAE 5/3, RMSE √(13/3), R² 0.935."""
    for predicted, actual, low, high in ((72, 70, 65, 79), (77, 80, 70, 79), (90, 90, 85, 95)):
        add(
            model_version=production_model,
            predicted_math_score=predicted,
            interval_low=low,
            interval_high=high,
            actual_math_score=actual,
            actual_recorded_at=timezone.now(),
        )
    add(model_version=production_model)  # served, no outcome yet
    live = monitoring.live_accuracy_by_version(window=window())[production_model.pk]
    assert live["served"] == 4 and live["n"] == 3
    assert live["mae"] == pytest.approx(5 / 3)
    assert live["rmse"] == pytest.approx((13 / 3) ** 0.5)
    assert live["r2"] == pytest.approx(0.935)
    assert live["coverage"] == pytest.approx(2 / 3)
    versions = monitoring.model_versions(window=window())
    assert versions[0]["version"] == production_model.version
    assert versions[0]["test"]["mae"] == production_model.metrics["test_mae"]
    assert versions[0]["history"][0]["action"] == "promote"


def test_a_live_mae_far_above_the_test_mae_raises_an_alert(db, production_model):
    """Thirty outcomes each 20 points off put live MAE at 20, above 1.5 × the held-out MAE."""
    for _ in range(30):
        add(
            model_version=production_model,
            predicted_math_score=50,
            actual_math_score=70,
            interval_low=40,
            interval_high=60,
        )
    report = monitoring.report(window=window())
    item = report["versions"][0]
    assert item["live"]["mae"] == pytest.approx(20) and item["accuracy_alert"]
    assert item["mae_ratio"] == pytest.approx(20 / production_model.metrics["test_mae"])
    assert any(alert.startswith("live accuracy: v1 MAE 20.00") for alert in report["alerts"])


def _add_students(frame, **changes):
    rows = []
    for record in frame.to_dict("records"):
        features = {name: record[name] for name in schema.FEATURE_NAMES}
        features.update(changes)
        rows.append(Prediction(status="ok", channel="api", predicted_math_score=60, **features))
    Prediction.objects.bulk_create(rows)


def test_traffic_like_the_training_data_shows_no_input_drift(db, production_model, students):
    """Live inputs drawn from the training population: the data set does not drift."""
    _add_students(students.sample(200, random_state=1))
    result = monitoring.feature_drift(window=window(), production=production_model)
    assert result["n_live"] == 200 and result["version"] == production_model.version
    assert result["verdict"] == drift.NO_DRIFT
    assert result["n_drifted"] < 4


def test_shifted_traffic_shows_input_drift_on_the_shifted_features(db, production_model, students):
    """Everyone on free lunch, prepared, and scoring 30: those four features drift."""
    _add_students(
        students.sample(200, random_state=1),
        lunch="free/reduced",
        test_preparation_course="completed",
        reading_score=30,
        writing_score=30,
    )
    result = monitoring.feature_drift(window=window(), production=production_model)
    drifted = {r["feature"] for r in result["features"] if r["drifted"]}
    assert drifted == {"lunch", "test_preparation_course", "reading_score", "writing_score"}
    assert result["verdict"] == drift.DRIFT
    report = monitoring.report(window=window())
    assert report["alerts"][0].startswith("input drift: 4 of 7 features")
    # Read by people: the features' labels, not their column names.
    assert report["alerts"][0].endswith(
        "Lunch, Test preparation course, Reading score, Writing score"
    )


def test_prediction_drift_counts_the_production_versions_predictions(db, production_model):
    """Live predictions are rounded and counted per point for the production version only."""
    for value in [40.2] * 20 + [41.6] * 20:
        add(model_version=production_model, predicted_math_score=value)
    add(predicted_math_score=99)  # no version: not counted
    result = monitoring.prediction_drift(window=window(), production=production_model)
    assert result["n_live"] == 40 and result["live_mean"] == pytest.approx(41)
    assert result["histogram"]["live"][8] == pytest.approx(1.0)  # 40–45
    assert result["verdict"] == drift.DRIFT


def test_the_report_without_a_model_says_so_and_does_not_fail(db):
    """No version and no traffic: empty figures, no drift section, and one alert saying
    that no model can serve (never a green "No alert")."""
    report = monitoring.report(window=window("all"))
    assert report["production"] is None and report["drift"] is None
    assert report["traffic"]["total"] == 0 and report["volume"]["buckets"] == []
    assert report["versions"] == []
    assert len(report["alerts"]) == 1 and report["alerts"][0].startswith("no model can serve")
