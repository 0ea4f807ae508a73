"""GET /api/v1/models/ and /api/v1/models/{version}/, and the OpenAPI schema behind them."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from ml import schema

METRICS = {
    "test_r2",
    "test_mae",
    "test_rmse",
    "cv_r2_mean",
    "cv_r2_std",
    "interval_level",
    "interval_half_width",
    "interval_coverage",
    "interval_width",
    "live",
}


@pytest.fixture
def client():
    return APIClient()


def test_the_list_gives_each_version_with_its_held_out_metrics(client, production_model):
    """Each listed version has its number, status, algorithm, time and all the metrics."""
    response = client.get("/api/v1/models/")
    assert response.status_code == 200
    (listed,) = response.json()
    assert listed["version"] == production_model.version
    assert listed["status"] == "production"
    assert listed["algorithm"] == "Ridge regression"
    assert listed["created_at"]
    assert set(listed["metrics"]) == METRICS
    assert 0 < listed["metrics"]["interval_coverage"] <= 1
    assert listed["metrics"]["interval_width"] > 0
    assert "subgroup_errors" not in listed and "artifact" not in listed


def test_a_version_shows_its_subgroup_errors_and_history(client, production_model):
    """The detail adds subgroup errors per categorical feature with group sizes summing
    to the held-out rows, the largest gap, leaderboard, params, rows, libraries, events."""
    response = client.get(f"/api/v1/models/{production_model.version}/")
    assert response.status_code == 200
    body = response.json()
    groups = body["subgroup_errors"]["groups"]
    assert list(groups) == list(schema.CATEGORICAL_FEATURES)
    for name, rows in groups.items():
        assert sum(r["n"] for r in rows) == body["rows"]["test"], name
        assert {r["value"] for r in rows} <= set(schema.FEATURES_BY_NAME[name].choices)
        for row in rows:
            assert set(row) == {"value", "n", "mae", "mean_signed_error"}
            assert row["mae"] >= abs(row["mean_signed_error"])
    gap = body["subgroup_errors"]["largest_gap"]
    high = next(r for r in groups[gap["feature"]] if r["value"] == gap["high"])
    low = next(r for r in groups[gap["feature"]] if r["value"] == gap["low"])
    assert gap["mae_gap"] == pytest.approx(high["mae"] - low["mae"])
    assert body["subgroup_errors"] == production_model.subgroup_errors
    assert body["leaderboard"][0]["name"] == "ridge" and "alpha" in body["params"]
    assert body["rows"] == {"total": 300, "train": 240, "test": 60}
    assert body["library_versions"]["scikit-learn"]
    assert body["interval_calibration"]["half_width"] == pytest.approx(
        body["metrics"]["interval_half_width"]
    )
    actions = [e["action"] for e in body["events"]]
    assert actions == ["promote", "register"]
    assert body["events"][0]["actor"] == "tests"
    assert body["events"][0]["reason"] == "no version was in production"


def test_an_unknown_version_is_a_404_that_says_so(client, db):
    """Asking for a version that does not exist answers 404 naming it."""
    response = client.get("/api/v1/models/99/")
    assert response.status_code == 404
    assert "99" in response.json()["detail"]


def test_the_schema_validates_without_warnings(tmp_path, db):
    """`spectacular --validate --fail-on-warn` passes, and documents the card's fields."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    components = yaml.safe_load(out.read_text())["components"]["schemas"]
    assert set(components["ModelMetrics"]["properties"]) == METRICS
    detail = components["ModelVersionDetail"]["properties"]
    for name in ("subgroup_errors", "leaderboard", "params", "rows", "library_versions", "events"):
        assert name in detail, name
    assert set(components["SubgroupGroups"]["properties"]) == set(schema.CATEGORICAL_FEATURES)
    assert set(components["SubgroupRow"]["properties"]) == {
        "value",
        "n",
        "mae",
        "mean_signed_error",
    }
    assert set(components["Interval"]["properties"]) == {"low", "high", "level"}
    assert set(components["Contributions"]["properties"]) == set(schema.FEATURE_NAMES)


def test_the_model_list_carries_live_figures_once_real_scores_arrive(client, production_model):
    """metrics.live counts served predictions and computes MAE from recorded real scores."""
    from predictor.models import Prediction
    from tests.factories import STUDENT

    for actual in (60, 70):
        response = client.post("/api/v1/predictions/", STUDENT, content_type="application/json")
        assert response.status_code == 201
        Prediction.objects.filter(pk=response.json()["id"]).update(actual_math_score=actual)
    client.post("/api/v1/predictions/", STUDENT, content_type="application/json")
    predicted = Prediction.objects.first().predicted_math_score
    live = client.get("/api/v1/models/").json()[0]["metrics"]["live"]
    assert live["served"] == 3 and live["n"] == 2
    assert live["mae"] == pytest.approx((abs(60 - predicted) + abs(70 - predicted)) / 2)
    detail = client.get(f"/api/v1/models/{production_model.version}/").json()
    assert detail["metrics"]["live"]["n"] == 2


def test_a_version_gives_its_features_and_fairness_report(client, production_model):
    """The detail returns the features used and the stored fairness report: per group of
    each protected attribute count, MAE, bias and coverage with bootstrap intervals that
    bracket the estimate, the without-attribute variants and the plain-words sentences."""
    body = client.get(f"/api/v1/models/{production_model.version}/").json()
    assert body["features"] == list(schema.FEATURE_NAMES)
    fairness = body["fairness"]
    assert fairness["protected_attributes"] == ["gender", "race_ethnicity", "lunch"]
    assert fairness["interval_method"] == "conditional"
    assert "over-predicts" in fairness["sign_convention"]
    for attribute in fairness["protected_attributes"]:
        rows = fairness["model"]["groups"][attribute]
        assert sum(r["count"] for r in rows) == body["rows"]["test"]
        for row in rows:
            for figure in ("mae", "bias", "coverage"):
                assert row[figure]["low"] <= row[figure]["estimate"] <= row[figure]["high"]
    assert set(fairness["without"]) == {"gender", "race_ethnicity", "lunch"}
    assert "gender" not in fairness["without"]["gender"]["features"]
    assert isinstance(fairness["sentences"], list)
    assert body["interval_calibration"]["method"] == "conditional"
    assert body["interval_calibration"]["holdout"]["conditional"]["interval_coverage"] > 0
    assert body["interval_calibration"]["conditional"]["half_widths"]


def test_a_version_from_before_the_report_reads_as_all_features_and_no_report(
    client, production_model
):
    """A version stored before issue 14 (no features, no report) lists all seven and null."""
    type(production_model).objects.filter(pk=production_model.pk).update(features=[], fairness={})
    body = client.get(f"/api/v1/models/{production_model.version}/").json()
    assert body["features"] == list(schema.FEATURE_NAMES)
    assert body["fairness"] is None
