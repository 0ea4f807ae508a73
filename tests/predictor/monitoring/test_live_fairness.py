"""Live fairness on /admin/monitoring/ (issue 14.8): per group of each protected attribute,
live MAE, bias and coverage from the real scores recorded; fewer than 30 greyed and said."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from predictor.models import Prediction
from predictor.monitoring import selectors as monitoring
from predictor.monitoring import services, windows
from predictor.predictions.services import prediction_record_outcome
from tests.factories import STUDENT


def scored(version, *, predicted, actual=None, low=None, high=None, **features):
    row = Prediction.objects.create(
        status="ok",
        channel="api",
        model_version=version,
        predicted_math_score=predicted,
        interval_low=predicted - 10 if low is None else low,
        interval_high=predicted + 10 if high is None else high,
        **{**STUDENT, **features},
    )
    if actual is not None:
        prediction_record_outcome(prediction=row, actual_math_score=actual)
    return row


def group(report, attribute, name):
    found = next(a for a in report["fairness"]["attributes"] if a["attribute"] == attribute)
    return next(g for g in found["groups"] if g["group"] == name)


def test_live_fairness_gives_mae_bias_and_coverage_per_group(db, production_model):
    """30 girls over-predicted by 4 (all inside ±10), 5 boys under-predicted by 12 (none
    inside): girls MAE 4, bias +4, coverage 100 % with enough scores; boys MAE 12, bias −12,
    coverage 0 %, too few. A prediction without a real score counts nowhere."""
    for _ in range(30):
        scored(production_model, predicted=74, actual=70, gender="female")
    for _ in range(5):
        scored(production_model, predicted=58, actual=70, gender="male")
    scored(production_model, predicted=60, gender="male")
    report = monitoring.report(window=windows.window_from("24h"))
    girls, boys = group(report, "gender", "female"), group(report, "gender", "male")
    assert (girls["n"], girls["mae"], girls["bias"], girls["coverage"]) == (30, 4, 4, 1)
    assert girls["enough"]
    assert (boys["n"], boys["mae"], boys["bias"], boys["coverage"]) == (5, 12, -12, 0)
    assert not boys["enough"]
    assert report["fairness"]["version"] == production_model.version
    attributes = [a["attribute"] for a in report["fairness"]["attributes"]]
    assert attributes == ["gender", "race_ethnicity", "lunch", "test_preparation_course"]
    # A group no real score reached is listed, empty, and too few.
    nobody = group(report, "race_ethnicity", "group E")
    assert nobody["n"] == 0 and nobody["mae"] is None and not nobody["enough"]


def test_live_fairness_is_the_same_from_rollups_after_a_late_outcome(db, production_model):
    """Rolled up, then a real score for a rolled-up hour: the group's figures change at
    once and stay right after the job re-rolls the hour."""
    row = scored(production_model, predicted=50, lunch="free/reduced")
    Prediction.objects.filter(pk=row.pk).update(
        created_at=row.created_at.replace(minute=0) - windows.timedelta(hours=5)
    )
    services.rollups_refresh()
    before = group(monitoring.report(window=windows.window_from("24h")), "lunch", "free/reduced")
    assert before["n"] == 0
    prediction_record_outcome(prediction=Prediction.objects.get(pk=row.pk), actual_math_score=56)
    after = group(monitoring.report(window=windows.window_from("24h")), "lunch", "free/reduced")
    assert (after["n"], after["bias"], after["coverage"]) == (1, -6, 1)
    services.rollups_refresh()
    again = group(monitoring.report(window=windows.window_from("24h")), "lunch", "free/reduced")
    assert again == after


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_user("lead", password="pw-lead-123", is_staff=True))
    return client


def test_the_dashboard_greys_small_groups_and_says_too_few_real_scores(
    staff_client, production_model
):
    """The live fairness table: a group with 30 real scores shows its figures plainly; one
    with 5 is in a greyed row that says "too few real scores" in words."""
    for _ in range(30):
        scored(production_model, predicted=74, actual=70, gender="female")
    for _ in range(5):
        scored(production_model, predicted=58, actual=70, gender="male")
    html = staff_client.get("/admin/monitoring/", {"window": "24h"}).content.decode()
    section = html[html.index('id="fair-h"') : html.index("</section>", html.index('id="fair-h"'))]
    assert f"Live fairness of v{production_model.version}" in section
    rows = re.findall(r"<tr( class=\"too-few\")?>\s*(.*?)</tr>", section, re.S)
    by_group = {}
    for cls, body in rows:
        label = re.search(r'<th scope="row">(.*?)</th>', body)
        if label:
            by_group[label.group(1)] = (cls, body)
    female_class, female = by_group["Female"]
    assert not female_class and "+4.00" in female and "100.0%" in female
    assert "too few real scores" not in female
    male_class, male = by_group["Male"]
    assert male_class and "−12.00" in male and "too few real scores" in male
