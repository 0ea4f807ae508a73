"""A student in a category the serving model never saw: 201 with a warning, stored and
shown, never an invented reason."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT, make_students

GROUP_A = {**STUDENT, "race_ethnicity": "group A"}
WARNING_START = 'race_ethnicity "group A" was not in this model\'s training data'


@pytest.fixture(scope="module")
def trained_without_group_a():
    from ml.train import train

    students = make_students(300, seed=0)
    students = students[students["race_ethnicity"] != "group A"].reset_index(drop=True)
    return train(students, seed=0, quick=True, candidates=["ridge"], n_jobs=1)


@pytest.fixture
def model_without_group_a(db, trained_without_group_a):
    from predictor.registry.services import model_version_register

    version, promoted, _ = model_version_register(
        result=trained_without_group_a, actor_label="tests"
    )
    assert promoted
    return version


def test_the_api_answers_201_with_the_warning_and_no_points(model_without_group_a):
    """The 201 body carries `warnings` and a race_ethnicity contribution of 0; the row
    keeps the warning; a student of a seen group gets `warnings: []`."""
    api = APIClient()
    response = api.post("/api/v1/predictions/", GROUP_A, format="json")
    assert response.status_code == 201
    body = response.json()
    assert len(body["warnings"]) == 1 and body["warnings"][0].startswith(WARNING_START)
    assert "gets no points of its own" in body["warnings"][0]
    assert body["contributions"]["race_ethnicity"] == 0.0
    assert sum(body["contributions"].values()) == pytest.approx(
        body["predicted_math_score"] - body["baseline"], abs=1e-6
    )
    assert Prediction.objects.get(pk=body["id"]).warnings == body["warnings"]
    assert api.get(f"/api/v1/predictions/{body['id']}/").status_code == 404  # anonymous
    seen = api.post("/api/v1/predictions/", STUDENT, format="json").json()
    assert seen["warnings"] == []


def test_the_result_page_shows_the_warning(client, model_without_group_a):
    """The form's result page says it plainly, beside the reasons."""
    response = client.post("/", GROUP_A)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert"' in page
    assert "race_ethnicity &quot;group A&quot; was not in this model&#x27;s training data" in page
    assert "gets no points of its own" in page


def test_batch_rows_carry_their_warnings(model_without_group_a):
    """A JSON batch answers each row's warnings and stores them."""
    response = APIClient().post("/api/v1/predictions/batch/", [STUDENT, GROUP_A], format="json")
    assert response.status_code == 201
    results = response.json()["results"]
    assert results[0]["warnings"] == []
    assert results[1]["warnings"][0].startswith(WARNING_START)
    stored = Prediction.objects.order_by("batch_row").values_list("warnings", flat=True)
    assert [len(w) for w in stored] == [0, 1]


def test_predictions_by_older_rows_default_to_no_warnings(production_model):
    """A row stored without warnings (all rows before the field) serializes `[]`."""
    body = APIClient().post("/api/v1/predictions/", STUDENT, format="json").json()
    assert body["warnings"] == []


def test_train_model_warns_about_a_category_with_no_rows(db, tmp_path):
    """train_model's data line warns when a schema category has no training rows."""
    students = make_students(200, seed=3)
    path = tmp_path / "no-a.csv"
    students[students["race_ethnicity"] != "group A"].to_csv(path, index=False)
    out = StringIO()
    call_command(
        "train_model",
        "--data",
        str(path),
        "--quick",
        "--candidates",
        "ridge",
        "--jobs",
        "1",
        stdout=out,
    )
    assert 'WARNING: no rows with race_ethnicity "group A"' in out.getvalue()
