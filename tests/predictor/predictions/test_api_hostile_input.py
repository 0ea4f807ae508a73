"""Hostile or odd request bodies get a plain 4xx, never a 500, and bounded storage."""

import json

import pytest
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT

URL = "/api/v1/predictions/"


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"a":' * 20_000 + "1" + "}" * 20_000,
    ],
)
def test_deeply_nested_json_is_a_400_not_a_500(api, production_model, body):
    """Nesting past Python's recursion limit is a parse error, recorded as rejected."""
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert Prediction.objects.get().status == "rejected"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_non_finite_numbers_are_a_400_anywhere_in_the_body(api, production_model, number):
    """1e400 (inf once parsed) and NaN are refused even in an ignored extra field."""
    body = json.dumps(STUDENT)[:-1] + f', "extra": {number}}}'
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert Prediction.objects.get().status == "rejected"


@pytest.mark.parametrize("score", ["1_0", "７２", "٧٢", "1e2", " 72x"])
def test_scores_must_be_plain_digits(api, production_model, score):
    """Python's int() reads "1_0" as 10 and "７２" as 72; a score field does not."""
    response = api.post(URL, {**STUDENT, "reading_score": score}, format="json")
    assert response.status_code == 400
    assert response.json()["reading_score"] == ["must be a whole number"]


def test_categories_are_read_like_the_csv_loader_reads_them(api, production_model):
    """ "Group B", " MALE " and "Bachelor's Degree" mean the schema's values, as in a batch."""
    payload = {
        **STUDENT,
        "race_ethnicity": "Group  b",
        "gender": " MALE ",
        "parental_level_of_education": "Bachelor's Degree",
    }
    response = api.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    row = Prediction.objects.get()
    assert (row.race_ethnicity, row.gender) == ("group B", "male")


def test_a_huge_rejected_body_is_stored_truncated(api, production_model):
    """A 1 MB reference is refused, and the stored raw payload is cut to a bounded size."""
    response = api.post(URL, {**STUDENT, "reference": "x" * 1_000_000}, format="json")
    assert response.status_code == 400 and "reference" in response.json()
    stored = Prediction.objects.get().raw_payload
    assert stored["length"] > 1_000_000 and len(stored["truncated_json"]) == 10_000


def test_a_body_over_the_upload_limit_is_a_json_413(api, production_model, settings):
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE the answer is 413 JSON, not Django's HTML 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(URL, {**STUDENT, "reference": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]


def test_nul_characters_never_reach_the_database(api, production_model):
    """A NUL in a JSON string (which PostgreSQL's jsonb refuses) is stored as U+FFFD."""
    response = api.post(URL, {**STUDENT, "note": "a\x00b"}, format="json")
    assert response.status_code == 201
    assert Prediction.objects.get().raw_payload["note"] == "a\ufffdb"


def test_a_batch_reference_with_a_nul_is_cleaned(api, production_model):
    """Batch rows keep their reference without the NUL character."""
    response = api.post(
        "/api/v1/predictions/batch/", [{**STUDENT, "reference": "7B\x00 Ann"}], format="json"
    )
    assert response.status_code in (200, 201), response.content
    assert Prediction.objects.get().reference == "7B Ann"


@pytest.mark.parametrize("field", ["test_preparation_course", "reference", "extra"])
def test_a_lone_surrogate_escape_is_a_400_and_history_stays_readable(api, production_model, field):
    """``"\\ud800"`` is valid JSON but not text: a 400 naming the body, a rejected row that
    lists, shows and exports like any other (it made every later read a 500)."""
    body = json.dumps(STUDENT)[:-1] + f', "{field}": "a\\ud800b"}}'
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]
    stored = Prediction.objects.get()
    assert stored.status == "rejected"
    from django.contrib.auth.models import User

    staff = User.objects.create_superuser("boss", "boss@example.org", "pw-pw-pw-123")
    api.force_authenticate(staff)
    assert api.get(URL).status_code == 200
    assert api.get(f"{URL}{stored.pk}/").status_code == 200


def test_a_surrogate_pair_escape_is_an_ordinary_character(api, production_model):
    """A pair (here U+1F600) decodes to one character and is stored as sent."""
    body = json.dumps({**STUDENT, "reference": "class \U0001f600"}, ensure_ascii=True)
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 201
    assert Prediction.objects.get().reference == "class \U0001f600"


def test_a_body_without_a_content_type_is_a_415_not_seven_missing_fields(api, production_model):
    """DRF would read it as no data; the answer says what header to send."""
    response = api.generic("POST", URL, json.dumps(STUDENT), content_type="")
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reading_score", 1e300, "must be between 0 and 100"),
        ("gender", ["female"], "must be text: one of female, male"),
        ("lunch", True, "must be text: one of standard, free/reduced"),
    ],
)
def test_odd_values_get_the_rule_they_break_in_plain_words(
    api, production_model, field, value, message
):
    """No Python spellings (``['female']``, ``True``) and no "not a number" for 1e300."""
    response = api.post(URL, {**STUDENT, field: value}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_number_with_thousands_of_digits_is_a_plain_parse_error(api, production_model):
    """Python's own message would point at sys.set_int_max_str_digits."""
    body = json.dumps(STUDENT)[:-1] + ', "extra": ' + "9" * 5000 + "}"
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "5000 digits" in detail and "sys." not in detail


def test_a_json_body_may_start_with_a_byte_order_mark(api, production_model):
    """As CSV uploads may: the BOM some Windows tools write is not an error."""
    body = "\ufeff".encode() + json.dumps(STUDENT).encode()
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("url", "content_type"),
    [(URL, "application/json"), ("/api/v1/predictions/batch/", "text/csv")],
)
def test_a_chunked_body_without_a_length_is_a_411_not_an_empty_one(
    api, production_model, url, content_type
):
    """Under WSGI Django reads such a body as empty; say what to send instead of "the file
    is empty" or "all seven fields are required"."""
    response = api.generic(
        "POST", url, b"", content_type=content_type, HTTP_TRANSFER_ENCODING="chunked"
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]


def test_a_nul_quoted_in_an_error_message_is_stored_as_a_visible_stand_in(api, production_model):
    """``"male\\x00"`` is refused with a message that quotes it: the stored message (jsonb
    on PostgreSQL, which refused the NUL with a 500) carries U+FFFD instead, on the single
    API and in a batch."""
    response = api.post(URL, {**STUDENT, "gender": "male\x00"}, format="json")
    assert response.status_code == 400
    batch = api.post(
        "/api/v1/predictions/batch/", [{**STUDENT, "gender": "male\x00"}], format="json"
    )
    assert batch.status_code == 201
    for stored in Prediction.objects.all():
        assert stored.status == "rejected"
        assert "\x00" not in stored.errors["gender"] and "\ufffd" in stored.errors["gender"]


def test_json_sent_as_a_form_gets_a_hint_not_seven_missing_fields(api, production_model):
    """What ``curl -d '{...}'`` sends without ``-H 'Content-Type: application/json'``."""
    response = api.generic(
        "POST", URL, json.dumps(STUDENT), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json()["detail"]
    assert "Content-Type: application/json" in Prediction.objects.get().errors["body"]


def test_a_real_form_post_is_still_read(api, production_model):
    """Form-encoded fields (the tutorial's pages post them) are scored as before."""
    response = api.post(URL, STUDENT, format="multipart")
    assert response.status_code == 201
    response = api.generic(
        "POST",
        URL,
        "&".join(f"{k}={v}" for k, v in STUDENT.items()).replace(" ", "+").replace("'", "%27"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.json()


def test_a_refused_megabyte_value_is_quoted_short_in_the_answer_and_the_stored_errors(
    api, client, production_model
):
    """A 1,000,000-character gender: the rule quotes its start and length, so the 400 and
    the stored attempt stay small (before, both held the whole value)."""
    huge = "x" * 1_000_000
    response = api.post(URL, {**STUDENT, "gender": huge}, format="json")
    assert response.status_code == 400
    message = response.json()["gender"][0]
    assert message == f'"{"x" * 40}… (1,000,000 characters)" is not one of: female, male'
    stored = Prediction.objects.get()
    assert stored.status == "rejected" and stored.errors == {"gender": message}
    page = client.post("/", {**STUDENT, "gender": huge})
    assert page.status_code == 400
    assert "(1,000,000 characters)" in page.content.decode()
    assert len(Prediction.objects.latest("id").errors["gender"]) < 200
