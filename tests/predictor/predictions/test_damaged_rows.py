"""A row damaged outside the app, or a nested JSON cell, never turns into a 500."""

import pytest
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT


@pytest.mark.parametrize("junk", ["junk", [1, 2], {"gender": "abc"}, {"gender": None}])
def test_pages_and_answers_showing_a_damaged_contributions_row_still_answer(
    client, production_model, junk
):
    """The result page, the API detail and the API list answer 200 with no contributions."""
    client.post("/", STUDENT)
    prediction = Prediction.objects.get()
    Prediction.objects.filter(pk=prediction.pk).update(contributions=junk)
    assert client.get(f"/predictions/{prediction.pk}/").status_code == 200
    api = APIClient()
    api.cookies = client.cookies
    detail = api.get(f"/api/v1/predictions/{prediction.pk}/")
    assert detail.status_code == 200
    if not isinstance(junk, dict):
        assert detail.json()["contributions"] is None
    assert api.get("/api/v1/predictions/").status_code == 200


def test_a_json_batch_with_an_object_in_a_cell_is_refused_naming_it(production_model):
    rows = [{**STUDENT, "reference": {"a": 1}}]
    response = APIClient().post("/api/v1/predictions/batch/", rows, format="json")
    assert response.status_code == 400
    assert "'reference' must be text, a number or null" in response.json()["detail"]
    assert Prediction.objects.count() == 0
