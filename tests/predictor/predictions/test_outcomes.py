"""Actual scores: POST /api/v1/predictions/{id}/outcome/, the form, and uploads of many."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import make_prediction


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def outcome_url(prediction) -> str:
    return f"/api/v1/predictions/{prediction.pk}/outcome/"


def test_it_records_the_actual_score_and_when(api, alice):
    """A valid score answers 200 with the prediction, and the row keeps score and time."""
    prediction = make_prediction(owner=alice)
    response = api.post(outcome_url(prediction), {"actual_math_score": 68}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["actual_math_score"] == 68 and body["actual_recorded_at"]
    prediction.refresh_from_db()
    assert prediction.actual_math_score == 68
    assert prediction.actual_recorded_at is not None


def test_a_second_score_replaces_the_first(api, alice):
    """Recording again corrects the score."""
    prediction = make_prediction(owner=alice, actual_math_score=40)
    api.post(outcome_url(prediction), {"actual_math_score": 44}, format="json")
    prediction.refresh_from_db()
    assert prediction.actual_math_score == 44


@pytest.mark.parametrize("value", [101, -1, 72.5, "abc", True, None, "", "1_0", "７２"])
def test_it_rejects_a_bad_score_naming_the_field(api, alice, value):
    """Out of range, fractional, non-numeric, boolean or empty: 400 naming the field."""
    prediction = make_prediction(owner=alice)
    response = api.post(outcome_url(prediction), {"actual_math_score": value}, format="json")
    assert response.status_code == 400
    assert "actual_math_score" in response.json()
    prediction.refresh_from_db()
    assert prediction.actual_math_score is None


def test_it_rejects_a_missing_score(api, alice):
    """An empty body names the missing field."""
    prediction = make_prediction(owner=alice)
    response = api.post(outcome_url(prediction), {}, format="json")
    assert response.status_code == 400 and "actual_math_score" in response.json()


def test_it_refuses_a_score_for_a_prediction_that_was_not_scored(api, alice):
    """A rejected attempt has nothing to compare with: 409 with a message."""
    prediction = make_prediction(owner=alice, status="rejected")
    response = api.post(outcome_url(prediction), {"actual_math_score": 60}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_scored"
    assert "only scored predictions" in response.json()["detail"]
    prediction.refresh_from_db()
    assert prediction.actual_math_score is None


def test_the_result_page_form_records_the_score(client, alice, production_model):
    """The form on /predictions/<id>/ stores the score and shows it back."""
    client.force_login(alice)
    prediction = make_prediction(owner=alice, model_version=production_model)
    page = client.get(f"/predictions/{prediction.pk}/").content.decode()
    assert f'action="/predictions/{prediction.pk}/outcome/"' in page
    response = client.post(f"/predictions/{prediction.pk}/outcome/", {"actual_math_score": "77"})
    assert response.status_code == 302
    prediction.refresh_from_db()
    assert prediction.actual_math_score == 77
    shown = client.get(response["Location"]).content.decode()
    assert "Actual math score recorded." in shown and "<strong>77</strong>" in shown


def test_the_result_page_form_explains_a_bad_score(client, alice, production_model):
    """A score of 150 is refused with the rule, worded as on every channel, and nothing is
    stored."""
    client.force_login(alice)
    prediction = make_prediction(owner=alice, model_version=production_model)
    response = client.post(
        f"/predictions/{prediction.pk}/outcome/", {"actual_math_score": "150"}, follow=True
    )
    assert response.status_code == 400
    assert "Actual math score must be between 0 and 100" in response.content.decode()
    prediction.refresh_from_db()
    assert prediction.actual_math_score is None


@pytest.mark.parametrize("typed", ["1_0", "７２", "٣", "72.5"])
def test_the_result_page_form_refuses_a_score_python_would_misread(
    client, alice, production_model, typed
):
    """ "1_0" (int() reads 10) and full-width "７２" (int() reads 72) are refused as the API
    and CSV refuse them: the page says the rule, and the actual score stays empty."""
    client.force_login(alice)
    prediction = make_prediction(owner=alice, model_version=production_model)
    response = client.post(
        f"/predictions/{prediction.pk}/outcome/", {"actual_math_score": typed}, follow=True
    )
    assert response.status_code == 400
    assert "Actual math score must be a whole number" in response.content.decode()
    prediction.refresh_from_db()
    assert prediction.actual_math_score is None and prediction.actual_recorded_at is None


def upload(client, text: str, **fields):
    return client.post(
        "/history/outcomes/",
        {
            "file": SimpleUploadedFile("scores.csv", text.encode(), content_type="text/csv"),
            **fields,
        },
    )


def test_an_upload_matches_by_id_and_by_reference_and_reports_each_row(client, alice):
    """Ids and unique references are recorded; unknown, bad and (when refusing them)
    ambiguous rows are reported."""
    client.force_login(alice)
    by_id = make_prediction(owner=alice)
    by_ref = make_prediction(owner=alice, reference="7B-01")
    make_prediction(owner=alice, reference="7B-01", status="rejected")
    twin_a = make_prediction(owner=alice, reference="twin")
    twin_b = make_prediction(owner=alice, reference="twin")
    someone_elses = make_prediction(reference="other", session_key="x")
    text = (
        "prediction_id,reference,math score\n"
        f"{by_id.pk},,81\n"
        ",7B-01,64\n"
        ",twin,50\n"
        f"{someone_elses.pk},,50\n"
        ",nobody,50\n"
        f"{by_id.pk},,82\n"
        ",7B-01,101\n"
    )
    response = upload(client, text, on_ambiguous="refuse")
    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [r["result"] for r in rows] == [
        "recorded",
        "recorded",
        "error",
        "error",
        "error",
        "error",
        "error",
    ]
    assert f"matches 2 scored predictions ({twin_a.pk}, {twin_b.pk})" in rows[2]["message"]
    assert rows[3]["message"] == f"no prediction {someone_elses.pk} among yours"
    assert "already set by row 1" in rows[5]["message"]
    assert "must be between 0 and 100" in rows[6]["message"]
    assert Prediction.objects.get(pk=by_id.pk).actual_math_score == 81
    assert Prediction.objects.get(pk=by_ref.pk).actual_math_score == 64
    assert not Prediction.objects.filter(reference="twin", actual_math_score__isnull=False).exists()
    assert Prediction.objects.get(pk=someone_elses.pk).actual_math_score is None
    assert "2 recorded, 0 skipped (no score), 5 not recorded" in response.content.decode()


def test_an_upload_without_a_score_column_is_refused_plainly(client, alice):
    """A file without the score column answers 400 naming it."""
    client.force_login(alice)
    response = upload(client, "prediction_id,grade\n1,50\n")
    assert response.status_code == 400
    assert "Column &#x27;actual_math_score&#x27; is missing" in response.content.decode()


def test_the_api_takes_a_json_list_of_scores(api, alice):
    """POST /api/v1/predictions/outcomes/ with JSON answers the same per-row report."""
    first = make_prediction(owner=alice, reference="a")
    second = make_prediction(owner=alice)
    payload = [
        {"reference": "a", "actual_math_score": 55},
        {"prediction_id": second.pk, "actual_math_score": 66},
        {"prediction_id": second.pk, "actual_math_score": "lots"},
    ]
    response = api.post("/api/v1/predictions/outcomes/", payload, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["recorded"] == 2 and body["errors"] == 1
    assert body["rows"][2]["message"] == "actual_math_score must be a whole number"
    assert Prediction.objects.get(pk=first.pk).actual_math_score == 55
    assert Prediction.objects.get(pk=second.pk).actual_math_score == 66


def test_rows_may_name_their_prediction_by_id_or_prediction_id(production_model):
    """A file mixing `id` and `prediction_id` keys reads both, not just the last column."""
    from predictor.models import Prediction
    from tests.factories import STUDENT

    api = APIClient()
    first = api.post("/api/v1/predictions/", STUDENT, format="json").json()["id"]
    second = api.post("/api/v1/predictions/", STUDENT, format="json").json()["id"]
    for pk in (first, second):
        Prediction.objects.filter(pk=pk).update(session_key="", owner=None)
    staff = User.objects.create_user("lead", password="pw-lead-12345", is_staff=True)
    api.force_authenticate(staff)
    rows = [
        {"prediction_id": first, "actual_math_score": 60},
        {"id": second, "actual_math_score": 61},
    ]
    response = api.post("/api/v1/predictions/outcomes/", rows, format="json")
    assert response.status_code == 200, response.content
    actual = dict(Prediction.objects.values_list("pk", "actual_math_score"))
    assert actual == {first: 60, second: 61}


def test_an_upload_saved_as_windows_1252_matches_accented_references(client, alice):
    """A scores file from Excel on Windows (cp1252) matches "Zoë" and "Chloé’s" as typed."""
    client.force_login(alice)
    zoe = make_prediction(owner=alice, reference="Zoë")
    chloe = make_prediction(owner=alice, reference="Chloé’s")
    text = "reference;math score\nZoë;71\nChloé’s;64\n"
    upload_file = SimpleUploadedFile("s.csv", text.encode("cp1252"), content_type="text/csv")
    response = client.post("/history/outcomes/", {"file": upload_file})
    assert response.status_code == 200
    assert [r["result"] for r in response.context["report"].rows] == ["recorded", "recorded"]
    zoe.refresh_from_db()
    chloe.refresh_from_db()
    assert (zoe.actual_math_score, chloe.actual_math_score) == (71, 64)
