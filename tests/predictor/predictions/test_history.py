"""History: /history/, its CSV export and GET /api/v1/predictions/, paginated and filtered."""

import csv
import datetime as dt
import io
import uuid

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import make_prediction

URL = "/api/v1/predictions/"


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice")


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def day(n: int) -> dt.datetime:
    """Noon on 2026-03-n in the site's time zone."""
    return timezone.make_aware(dt.datetime(2026, 3, n, 12, 0))


def ids(response) -> list[int]:
    return [r["id"] for r in response.json()["results"]]


def test_the_api_list_is_newest_first_and_paginated(api, alice):
    """count, next, previous and results; page_size and page move through the list."""
    rows = [make_prediction(owner=alice, created_at=day(n)) for n in range(1, 8)]
    newest_first = [p.pk for p in reversed(rows)]
    first = api.get(URL, {"page_size": 3})
    body = first.json()
    assert first.status_code == 200
    assert body["count"] == 7 and body["previous"] is None
    assert ids(first) == newest_first[:3]
    second = api.get(body["next"])
    assert ids(second) == newest_first[3:6]
    assert second.json()["previous"] is not None
    last = api.get(URL, {"page_size": 3, "page": 3})
    assert ids(last) == newest_first[6:] and last.json()["next"] is None
    assert api.get(URL, {"page": 99}).status_code == 404


def test_it_filters_by_date_range_inclusive(api, alice):
    """date_from and date_to keep whole days at both ends."""
    made = {n: make_prediction(owner=alice, created_at=day(n)) for n in (1, 2, 3, 4)}
    response = api.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert response.status_code == 200
    assert ids(response) == [made[3].pk, made[2].pk]
    assert ids(api.get(URL, {"date_from": "2026-03-04"})) == [made[4].pk]
    assert ids(api.get(URL, {"date_to": "2026-03-01"})) == [made[1].pk]


def test_it_filters_by_model_version(api, alice, production_model):
    """model_version is the version number people see (v1 → 1)."""
    scored = make_prediction(owner=alice, model_version=production_model)
    make_prediction(owner=alice)
    assert ids(api.get(URL, {"model_version": production_model.version})) == [scored.pk]
    assert ids(api.get(URL, {"model_version": production_model.version + 1})) == []


def test_it_filters_by_status_channel_and_batch(api, alice):
    """status, channel and batch each narrow the list."""
    batch_id = uuid.uuid4()
    ok = make_prediction(owner=alice)
    rejected = make_prediction(owner=alice, status="rejected", channel="form")
    in_batch = make_prediction(owner=alice, channel="batch", batch_id=batch_id, batch_row=0)
    assert ids(api.get(URL, {"status": "rejected"})) == [rejected.pk]
    assert ids(api.get(URL, {"channel": "form"})) == [rejected.pk]
    assert ids(api.get(URL, {"batch": str(batch_id)})) == [in_batch.pk]
    assert set(ids(api.get(URL, {"status": "ok"}))) == {ok.pk, in_batch.pk}


def test_it_filters_by_any_part_of_the_reference_ignoring_case(api, alice):
    """reference=7b finds "Class 7B / Ann" and "7b-02" but not "8A"."""
    ann = make_prediction(owner=alice, reference="Class 7B / Ann")
    bo = make_prediction(owner=alice, reference="7b-02")
    make_prediction(owner=alice, reference="8A")
    assert set(ids(api.get(URL, {"reference": "7b"}))) == {ann.pk, bo.pk}


@pytest.mark.parametrize(
    "params, name",
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to"),
        ({"model_version": "v2"}, "model_version"),
        ({"status": "great"}, "status"),
        ({"batch": "not-a-uuid"}, "batch"),
    ],
)
def test_a_bad_filter_answers_400_naming_the_parameter(api, params, name):
    """Each malformed query parameter is named in the 400 body."""
    response = api.get(URL, params)
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_the_history_page_filters_and_paginates(client, alice):
    """The page lists 25 per page, newest first, and applies the same filters."""
    client.force_login(alice)
    for n in range(1, 28):
        make_prediction(owner=alice, reference=f"student-{n:02d}", created_at=day(1))
    make_prediction(owner=alice, reference="needle", status="rejected", created_at=day(2))
    first = client.get("/history/")
    html = first.content.decode()
    assert first.status_code == 200
    assert html.index("needle") < html.index("student-27")
    assert "student-03" not in html and "page=2" in html
    assert "student-03" in client.get("/history/", {"page": 2}).content.decode()
    filtered = client.get("/history/", {"status": "rejected", "date_from": "2026-03-02"})
    text = filtered.content.decode()
    assert "needle" in text and "student-" not in text


def test_the_history_page_names_a_bad_filter(client, alice):
    """A malformed date answers 400 with the field marked, not a traceback."""
    client.force_login(alice)
    response = client.get("/history/", {"date_from": "03/32/2026"})
    assert response.status_code == 400
    assert "must be a day of the calendar as YYYY-MM-DD" in response.content.decode()


def test_the_csv_export_holds_the_filtered_list(client, alice):
    """The export has a header and exactly the filtered rows, newest first."""
    client.force_login(alice)
    old = make_prediction(owner=alice, reference="7B-01", created_at=day(1))
    new = make_prediction(owner=alice, reference="7B-02", actual_math_score=71, created_at=day(2))
    make_prediction(owner=alice, reference="8A-01", created_at=day(3))
    response = client.get("/history/export.csv", {"reference": "7B"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["id"]) for r in rows] == [new.pk, old.pk]
    assert rows[0]["actual_math_score"] == "71" and rows[0]["predicted_math_score"] == "70.0"
    assert rows[0]["reading_score"] == "72" and rows[0]["status"] == "ok"


def test_lists_and_the_export_leave_the_model_artifact_in_the_database(
    client, alice, production_model
):
    """A list joins each row's model version without its pickled model or training row
    hashes (joined into every row, they made a 20,000-row export take 5 s), and the
    export still names each row's version."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    make_prediction(owner=alice, model_version=production_model)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/history/export.csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        api = APIClient()
        api.force_authenticate(alice)
        assert api.get(URL).json()["results"][0]["model_version"] == production_model.version
    assert rows[0]["model_version"] == str(production_model.version)
    selects = [q["sql"] for q in queries.captured_queries if "predictor_prediction" in q["sql"]]
    assert selects
    for sql in selects:
        assert '"artifact"' not in sql and '"train_row_hashes"' not in sql


def test_the_csv_export_keeps_free_text_from_running_as_a_formula(client, alice):
    """A reference starting with = is written as text ('=...) in the export."""
    client.force_login(alice)
    make_prediction(owner=alice, reference='=HYPERLINK("http://x")')
    body = b"".join(client.get("/history/export.csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["reference"].startswith("'=")


@pytest.mark.parametrize(
    "query, name",
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=100000", "page_size"),
    ],
)
def test_bad_paging_parameters_are_a_400_naming_them(query, name, production_model):
    """page and page_size are validated like the filters, not ignored or a 404."""
    response = APIClient().get(f"/api/v1/predictions/?{query}")
    assert response.status_code == 400
    assert name in response.json()


@pytest.mark.parametrize(
    "params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01", "date_to": "9999-12-31"}]
)
def test_the_widest_dates_are_no_bounds_not_a_500(client, api, alice, params):
    """The calendar's last day as ``date_to`` (its next day does not exist) filters nothing
    out, on the API, the page and the export."""
    make_prediction(owner=alice)
    assert api.get(URL, params).json()["count"] == 1
    client.force_login(alice)
    assert client.get("/history/", params).status_code == 200
    export = client.get("/history/export.csv", params)
    assert len(b"".join(export.streaming_content).decode().splitlines()) == 2


@pytest.mark.parametrize(
    "params, name, message",
    [
        ({"date_from": "2026-02-30"}, "date_from", "must be a day of the calendar as YYYY-MM-DD"),
        ({"status": "OK"}, "status", '"OK" is not one of: ok, rejected, failed'),
        ({"channel": "fax"}, "channel", '"fax" is not one of: form, api, batch'),
    ],
)
def test_a_bad_filter_says_what_would_do(client, api, alice, params, name, message):
    """The API and the export word a bad filter alike and say what is allowed."""
    assert api.get(URL, params).json()[name][0].startswith(message)
    client.force_login(alice)
    if name.startswith("date"):
        assert message in client.get("/history/export.csv", params).content.decode()


def test_a_page_past_the_end_names_the_page(api, alice):
    make_prediction(owner=alice)
    response = api.get(URL, {"page": 999})
    assert response.status_code == 404
    assert response.json()["detail"] == "page 999 does not exist: there is 1 page"
    for n in range(3):
        make_prediction(owner=alice)
    response = api.get(URL, {"page": 9, "page_size": 2})
    assert response.json()["detail"] == "page 9 does not exist: there are 2 pages"


def test_an_export_past_the_row_limit_is_refused_saying_how_to_narrow_it(client, alice, settings):
    """Not a file cut short when gunicorn's timeout kills the worker mid-stream."""
    settings.EXPORT_MAX_ROWS = 2
    client.force_login(alice)
    for n in range(3):
        make_prediction(owner=alice, reference=f"7B-0{n}", created_at=day(n + 1))
    refused = client.get("/history/export.csv")
    assert refused.status_code == 400
    assert "3 rows, more than the limit of 2 a file (EXPORT_MAX_ROWS)" in refused.content.decode()
    narrowed = client.get("/history/export.csv", {"date_from": day(2).date().isoformat()})
    assert narrowed.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(narrowed.streaming_content).decode())))
    assert len(rows) == 2


@pytest.mark.parametrize(
    "params, message",
    [
        ({"model_version": "x"}, "model_version: must be a model version number"),
        ({"model_version": "0"}, "model_version: must be a model version number"),
        ({"batch": "nope"}, "batch: must be a batch id, e.g. "),
        ({"status": "x"}, 'status: "x" is not one of: ok, rejected, failed'),
        ({"channel": "fax"}, 'channel: "fax" is not one of: '),
    ],
)
def test_bad_filters_are_worded_alike_by_the_api_and_the_export(
    api, client, alice, params, message
):
    """The project's wording, not Django's or DRF's defaults ("A valid integer is
    required.", "Must be a valid UUID.", "Select a valid choice.")."""
    field, rule = message.split(": ", 1)
    from_api = api.get(URL, params)
    assert from_api.status_code == 400
    assert from_api.json()[field][0].startswith(rule)
    client.force_login(alice)
    from_export = client.get("/history/export.csv", params)
    assert from_export.status_code == 400
    assert message in from_export.content.decode()


def test_the_history_page_names_a_bad_hidden_batch_filter_and_drops_it(client, alice):
    """The batch filter is a hidden field: its error is shown, and its bad value is not
    sent again by the next Filter."""
    client.force_login(alice)
    response = client.get("/history/", {"batch": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "batch must be a batch id, e.g. " in html
    assert 'value="nope"' not in html
