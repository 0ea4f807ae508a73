"""POST /api/v1/predictions/: scoring, validation and storage of every attempt."""

import pytest
from rest_framework.test import APIClient

from ml import schema
from predictor.models import Prediction
from tests.factories import STUDENT

URL = "/api/v1/predictions/"


@pytest.fixture
def client():
    return APIClient()


def test_it_scores_a_student_and_stores_the_prediction(client, production_model):
    """A valid request answers 201 with the score and keeps one ok row."""
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert 0 <= body["predicted_math_score"] <= 110
    assert body["model_version"] == production_model.version
    row = Prediction.objects.get(pk=body["id"])
    assert row.status == "ok" and row.channel == "api"
    assert row.reading_score == 72 and row.race_ethnicity == "group B"
    assert row.predicted_math_score == pytest.approx(body["predicted_math_score"])
    assert row.model_version == production_model


def test_it_returns_the_interval_baseline_and_contributions_and_stores_them(
    client, production_model
):
    """The 201 body has a 90% interval inside 0–100 around the score, and contributions for
    the seven features summing to score − baseline; the row keeps the same figures."""
    body = client.post(URL, STUDENT, format="json").json()
    interval = body["interval"]
    assert interval["level"] == 0.9
    assert 0 <= interval["low"] <= body["predicted_math_score"] <= interval["high"] <= 100
    assert interval["high"] > interval["low"]
    assert set(body["contributions"]) == set(schema.FEATURE_NAMES)
    total = body["baseline"] + sum(body["contributions"].values())
    assert total == pytest.approx(body["predicted_math_score"], abs=0.01)
    row = Prediction.objects.get(pk=body["id"])
    assert (row.interval_low, row.interval_high, row.interval_level) == pytest.approx(
        (interval["low"], interval["high"], 0.9)
    )
    assert row.baseline == pytest.approx(body["baseline"])
    assert row.contributions == pytest.approx(body["contributions"])


def test_a_stored_prediction_reads_back_with_the_same_interval_and_reasons(
    client, production_model, django_user_model
):
    """GET /api/v1/predictions/{id}/ returns to its owner what the POST answered."""
    client.force_authenticate(django_user_model.objects.create_user("teacher"))
    created = client.post(URL, STUDENT, format="json").json()
    fetched = client.get(f"{URL}{created['id']}/").json()
    for key in ("predicted_math_score", "interval", "baseline", "contributions", "model_version"):
        assert fetched[key] == pytest.approx(created[key]), key


def test_it_answers_503_saying_how_to_train_when_no_model(client, db):
    """Without a production model the API says to run train_model, and records the attempt."""
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 503
    assert "python manage.py train_model" in response.json()["detail"]
    assert Prediction.objects.get().status == "failed"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"gender": "unknown"}, "gender"),
        ({"race_ethnicity": "group F"}, "race_ethnicity"),
        ({"reading_score": 101}, "reading_score"),
        ({"writing_score": -1}, "writing_score"),
        ({"reading_score": "seventy"}, "reading_score"),
        ({"reading_score": 72.5}, "reading_score"),
        ({"reading_score": True}, "reading_score"),
        ({"lunch": None}, "lunch"),
    ],
)
def test_it_rejects_bad_values_naming_the_field(client, production_model, change, field):
    """Each kind of bad value answers 400 naming the field, and is stored as rejected."""
    response = client.post(URL, {**STUDENT, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    row = Prediction.objects.get()
    assert row.status == "rejected" and field in row.errors


def test_it_rejects_a_missing_field(client, production_model):
    """A missing field is named in the 400 body."""
    payload = {k: v for k, v in STUDENT.items() if k != "writing_score"}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "writing_score" in response.json()


def test_it_rejects_malformed_json_and_a_json_array(client, production_model):
    """Malformed JSON and a top-level array both answer 400 and are recorded."""
    bad = client.post(URL, "{bad", content_type="application/json")
    array = client.post(URL, [STUDENT], format="json")
    assert bad.status_code == 400 and "JSON parse error" in bad.json()["detail"]
    assert array.status_code == 400 and "non_field_errors" in array.json()
    assert Prediction.objects.filter(status="rejected").count() == 2


def test_a_broken_model_with_nothing_to_fall_back_to_is_a_plain_503(
    client, production_model, monkeypatch
):
    """If the only version raises on every student, the answer is a JSON 503 saying no
    version can serve (no traceback), and the failed attempt is kept."""
    from predictor.registry import serving

    served = serving.active_model()

    def broken(rows):
        raise FloatingPointError("boom")

    # Single students go through the fast path (predict_one), batches through predict.
    monkeypatch.setattr(served.model, "predict", broken)
    monkeypatch.setattr(served.model, "predict_one", broken)
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "model_unavailable"
    # Why it cannot load is for staff (log, audit trail, dashboard), not the caller.
    from studentperf.api.exceptions import MODEL_UNAVAILABLE_PUBLIC

    assert response.json()["detail"] == MODEL_UNAVAILABLE_PUBLIC
    assert "Traceback" not in response.content.decode()
    assert Prediction.objects.get().status == "failed"


def test_staff_are_told_why_no_model_can_serve(client, production_model, monkeypatch):
    """The same 503 to a staff member names the version and why it cannot serve."""
    from django.contrib.auth.models import User

    from predictor.registry import serving

    served = serving.active_model()

    def broken(rows):
        raise FloatingPointError("boom")

    monkeypatch.setattr(served.model, "predict", broken)
    monkeypatch.setattr(served.model, "predict_one", broken)
    client.force_authenticate(User.objects.create_user("lead", is_staff=True))
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 503
    assert "no earlier version can replace it" in response.json()["detail"]


def test_a_database_busy_past_the_timeout_is_a_503_with_retry_after(
    client, production_model, monkeypatch
):
    """SQLite's "database is locked" after SQLITE_BUSY_TIMEOUT_SECONDS: retry, not a 500."""
    from django.db import OperationalError

    from predictor.predictions import services

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "prediction_create", locked)
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_busy"
    assert Prediction.objects.count() == 0


def test_the_interval_is_the_stored_half_width_of_the_students_groups(client, production_model):
    """Served intervals are group-conditional (ml.conditional): the half-width is the one
    stored for the student's combination of gender, race/ethnicity group, lunch and test
    preparation, so a student in groups the model errs more on gets a wider range."""
    calibration = production_model.interval_calibration
    assert calibration["method"] == "conditional"
    attributes = calibration["conditional"]["attributes"]
    widths = calibration["conditional"]["half_widths"]
    for lunch in ("standard", "free/reduced"):
        student = {**STUDENT, "lunch": lunch, "reading_score": 60, "writing_score": 60}
        body = client.post(URL, student, format="json").json()
        expected = widths["|".join(student[a] for a in attributes)]
        assert body["interval"]["high"] - body["interval"]["low"] == pytest.approx(2 * expected)
    assert len(set(widths.values())) > 1  # the groups really differ


def test_the_answer_says_which_features_were_used_and_whether_the_student_is_unusual(
    client, production_model
):
    """features_used lists the version's features; an ordinary student is not flagged, and
    one whose reading and writing differ by 60 points is, with a reason, stored on the row."""
    body = client.post(URL, STUDENT, format="json").json()
    assert body["features_used"] == list(schema.FEATURE_NAMES)
    assert body["unusual"] == {"flagged": False, "reason": ""}
    odd = client.post(URL, {**STUDENT, "reading_score": 95, "writing_score": 35}, format="json")
    assert odd.status_code == 201
    unusual = odd.json()["unusual"]
    assert unusual["flagged"] is True
    assert "reading and writing scores differ by 60 points" in unusual["reason"]
    row = Prediction.objects.get(pk=odd.json()["id"])
    assert row.unusual and row.unusual_reason == unusual["reason"]


@pytest.fixture
def read_only_sqlite():
    """SQLite's own read-only mode on this connection (``PRAGMA query_only``): writes
    fail with "attempt to write a readonly database", as with a read-only file."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PRAGMA query_only is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    yield
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = OFF")


@pytest.mark.django_db(transaction=True)
def test_an_unwritable_database_is_a_503_with_retry_after_not_a_500(
    client, production_model, read_only_sqlite
):
    """The API's write meets a read-only database: 503 with Retry-After and a code saying
    so, no traceback; the form's page answers 503 too. (Autocommit, as a server runs: a
    test's own transaction would stay broken after the first error.)"""
    response = client.post(URL, STUDENT, format="json")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "database_unavailable"
    page = client.post("/", STUDENT)
    assert page.status_code == 503
    assert "cannot be written or reached" in page.content.decode()
