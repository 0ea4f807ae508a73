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


def _damage(pk: int, column: str, text: str) -> None:
    """Write ``text`` into a JSON column as it is, as a repair outside Django could (the
    sqlite3 shell with its CHECK constraints off; PostgreSQL's jsonb refuses what is not
    JSON, so there the test is moot)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores text that is not JSON in a JSON column")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        cursor.execute(f"UPDATE predictor_prediction SET {column} = %s WHERE id = %s", [text, pk])
        cursor.execute("PRAGMA ignore_check_constraints = OFF")


@pytest.mark.parametrize(
    ("column", "text"),
    [("errors", "oops{"), ("errors", "[1, 2]"), ("warnings", "[[["), ("warnings", '{"a": 1}')],
)
def test_a_json_cell_that_is_not_json_of_its_shape_reads_as_unreadable_everywhere(
    admin_client, production_model, column, text
):
    """Text that is not JSON (or JSON of another shape) in ``errors`` or ``warnings``: the
    result page, the API detail and list, the CSV export and the dashboard answer 200, and
    the API shows the cell as a dict / list saying it is not readable, never the raw text
    split into characters."""
    admin_client.post("/", STUDENT)
    rejected = {**STUDENT, "reading_score": 400}
    admin_client.post("/", rejected)
    for prediction in Prediction.objects.all():
        _damage(prediction.pk, column, text)
    for prediction in Prediction.objects.all():
        assert admin_client.get(f"/predictions/{prediction.pk}/").status_code == 200
        detail = admin_client.get(f"/api/v1/predictions/{prediction.pk}/")
        assert detail.status_code == 200
        value = detail.json()[column]
        if column == "errors":
            assert value == {"stored_value": f"not readable: {text!r}"}
        else:
            assert value == [f"stored value not readable: {text!r}"]
    assert admin_client.get("/api/v1/predictions/").status_code == 200
    export = admin_client.get("/history/export.csv")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    assert admin_client.get("/history/").status_code == 200
    assert admin_client.get("/admin/monitoring/?window=24h").status_code == 200
