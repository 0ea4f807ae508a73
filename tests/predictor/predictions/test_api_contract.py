"""The predictions API answers as its OpenAPI schema says (issue 15, items 7 and 8): empty
query parameters, an unknown format, a reference that is not text, lists checked row by
row, the token's two 400 shapes, one 404 wording, and the browsable API's form."""

import uuid

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT, api_as, make_prediction


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_an_empty_filter_is_left_out_as_the_schema_says(alice):
    """``?status=`` (and an empty page, page_size or date) answers 200 with every row,
    the same as no parameter at all."""
    scored = make_prediction(owner=alice)
    rejected = make_prediction(owner=alice, status=Prediction.Status.REJECTED)
    client = api_as(alice)
    empty = client.get(
        "/api/v1/predictions/",
        {"status": "", "page": "", "page_size": "", "date_from": "", "model_version": ""},
    )
    assert empty.status_code == 200
    assert ids(empty) == ids(client.get("/api/v1/predictions/")) == [rejected.pk, scored.pk]
    only_ok = client.get("/api/v1/predictions/", {"status": "ok"})
    assert ids(only_ok) == [scored.pk]


def test_a_status_outside_the_choices_is_a_400_naming_the_parameter(alice):
    """A value the schema's enum does not hold is refused with the field and the choices."""
    response = api_as(alice).get("/api/v1/predictions/", {"status": "done"})
    assert response.status_code == 400
    assert response.json() == {"status": ['"done" is not one of: ok, rejected, failed']}


def test_an_unknown_format_is_a_400_naming_the_parameter_not_a_404(alice, production_model):
    """``?format=xml`` on a JSON-or-CSV endpoint says which formats there are."""
    client = api_as(alice)
    batch = client.post("/api/v1/predictions/batch/", [STUDENT], format="json")
    assert batch.status_code == 201
    url = f"/api/v1/predictions/batch/{batch.json()['batch_id']}/"
    assert client.get(url, {"format": "csv"}).status_code == 200
    response = client.get(url, {"format": "xml"})
    assert response.status_code == 400
    assert response.json() == {"format": ["must be one of json, csv"]}
    assert response["Content-Type"] == "application/json"


def test_a_reference_that_is_not_text_is_refused_as_the_schema_says(db, production_model):
    """``"reference": 0`` is a 400 naming the field; DRF alone would store "0"."""
    response = APIClient().post("/api/v1/predictions/", {**STUDENT, "reference": 0}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reference": ["must be text (a JSON string)"]}
    assert not Prediction.objects.filter(status=Prediction.Status.OK).exists()


def test_an_outcome_row_out_of_range_is_reported_not_refused(alice):
    """The outcomes list is checked row by row, as its schema (no per-item limit) says:
    200, the good row recorded, the bad one reported with its reason."""
    good = make_prediction(owner=alice)
    response = api_as(alice).post(
        "/api/v1/predictions/outcomes/",
        [
            {"prediction_id": good.pk, "actual_math_score": 70},
            {"prediction_id": good.pk, "actual_math_score": -1},
        ],
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["recorded"], body["errors"]) == (1, 1)
    assert body["rows"][1]["message"] == "actual_math_score must be between 0 and 100"
    good.refresh_from_db()
    assert good.actual_math_score == 70


def test_an_outcome_row_holding_an_object_refuses_the_request(alice):
    """A value the schema does not allow in a row (an object) is a 400 for the list."""
    good = make_prediction(owner=alice)
    response = api_as(alice).post(
        "/api/v1/predictions/outcomes/",
        [{"prediction_id": good.pk, "actual_math_score": {}}],
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "'actual_math_score' must be text, a number or null" in response.json()["detail"]


def test_the_token_400_is_field_errors_or_an_error_with_its_code(alice):
    """A missing field names it; wrong credentials carry the declared ``code``."""
    client = APIClient()
    missing = client.post("/api/v1/auth/token/", {"username": "alice"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"password": ["This field is required."]}
    wrong = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": "wrong username or password", "code": "invalid_credentials"}


def test_every_missing_object_answers_one_404_wording(alice, staff):
    """Prediction, its outcome, a batch, a job and a model version (also on promote): the
    same ``no such <thing>: <key>`` with code ``not_found``."""
    client = api_as(staff)
    missing = uuid.UUID(int=7)
    answers = {
        "/api/v1/predictions/999/": ("get", "prediction: 999"),
        "/api/v1/predictions/999/outcome/": ("post", "prediction: 999"),
        f"/api/v1/predictions/batch/{missing}/": ("get", f"batch: {missing}"),
        f"/api/v1/predictions/jobs/{missing}/": ("get", f"job: {missing}"),
        "/api/v1/models/99/": ("get", "model version: 99"),
        "/api/v1/models/99/promote/": ("post", "model version: 99"),
    }
    for url, (method, what) in answers.items():
        body = {"actual_math_score": 50} if "outcome" in url else {"reason": "test"}
        response = (
            getattr(client, method)(url, body, format="json")
            if method == "post"
            else (client.get(url))
        )
        assert response.status_code == 404, url
        assert response.json() == {"detail": f"no such {what}", "code": "not_found"}, url


def test_another_persons_prediction_reads_as_missing(alice):
    """Not yours answers exactly as not there."""
    theirs = make_prediction(owner=User.objects.create_user("bob", password="bob-secret-1"))
    response = api_as(alice).get(f"/api/v1/predictions/{theirs.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"no such prediction: {theirs.pk}", "code": "not_found"}


def test_the_browsable_api_form_is_titled_and_built_for_what_it_posts(alice):
    """The page is titled for the endpoint and its HTML form holds the seven inputs (the
    output serializer, all read-only, gave an empty form)."""
    response = api_as(alice).get("/api/v1/predictions/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Predictions: score a student (POST) or list yours (GET)</h1>" in page
    for field in ("gender", "race_ethnicity", "reading_score", "writing_score", "reference"):
        assert f'name="{field}"' in page, field
    assert 'name="predicted_math_score"' not in page
