"""Batch scoring: POST /api/v1/predictions/batch/, /batch/ and the scored download."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ml.predict import FittedModel
from predictor.models import Batch, Prediction
from tests.factories import STUDENT, make_students

URL = "/api/v1/predictions/batch/"
KAGGLE_HEADERS = [
    "gender",
    "race/ethnicity",
    "parental level of education",
    "lunch",
    "test preparation course",
    "reading score",
    "writing score",
]
# Row index -> (column, bad value): the rows that must come back rejected.
BAD_CELLS = {
    0: ("reading score", "101"),
    17: ("gender", "unknown"),
    500: ("writing score", ""),
    998: ("lunch", "free"),
}


def class_csv(n: int, bad: dict | None = None) -> str:
    """``n`` students under Kaggle headers, with a `Student code` column and a reference."""
    frame = make_students(n, seed=3)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student code", *KAGGLE_HEADERS, "reference"])
    for i, row in enumerate(frame.drop(columns="math_score").itertuples(index=False)):
        cells = dict(zip(KAGGLE_HEADERS, map(str, row), strict=True))
        if bad and i in bad:
            column, value = bad[i]
            cells[column] = value
        writer.writerow([f"S{i:04d}", *cells.values(), f"ref-{i}"])
    return out.getvalue()


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def api():
    return APIClient()


def test_a_thousand_rows_with_a_few_bad_ones_come_back_whole_and_in_order(
    api, production_model, monkeypatch
):
    """1,000 rows in → 1,000 results in order, exactly the bad rows rejected, all stored,
    scored with one model call."""
    calls = []
    real_predict = FittedModel.predict

    def counting_predict(self, frame):
        calls.append(len(frame))
        return real_predict(self, frame)

    monkeypatch.setattr(FittedModel, "predict", counting_predict)
    response = api.post(URL, class_csv(1000, BAD_CELLS), content_type="text/csv")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rows_total"], body["rows_scored"], body["rows_rejected"]) == (1000, 996, 4)
    assert [r["index"] for r in body["results"]] == list(range(1000))
    assert [r["reference"] for r in body["results"]] == [f"ref-{i}" for i in range(1000)]
    rejected = {r["index"] for r in body["results"] if r["status"] == "rejected"}
    assert rejected == set(BAD_CELLS)
    assert body["results"][0]["errors"] == {"reading_score": "must be between 0 and 100"}
    assert body["results"][500]["errors"] == {"writing_score": "is empty"}
    assert body["rejections"]["gender unknown category"] == 1
    assert calls == [996]

    rows = list(Prediction.objects.filter(batch_id=body["batch_id"]).order_by("batch_row"))
    assert len(rows) == 1000
    assert [p.batch_row for p in rows] == list(range(1000))
    assert [p.reference for p in rows] == [f"ref-{i}" for i in range(1000)]
    assert {p.batch_row for p in rows if p.status == "rejected"} == set(BAD_CELLS)
    assert all(p.channel == "batch" for p in rows)
    assert rows[1].raw_payload["Student code"] == "S0001"
    assert rows[1].model_version == production_model
    assert rows[1].predicted_math_score == pytest.approx(body["results"][1]["predicted_math_score"])
    batch = Batch.objects.get()
    assert (batch.rows_total, batch.rows_scored, batch.rows_rejected) == (1000, 996, 4)


def test_it_answers_in_csv_with_the_inputs_columns_when_asked(api, production_model):
    """Accept: text/csv gives the input's columns as sent plus the result columns, in order."""
    response = api.post(
        URL,
        class_csv(30, {3: ("reading score", "abc")}),
        content_type="text/csv",
        HTTP_ACCEPT="text/csv",
    )
    assert response.status_code == 201
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response.content.decode())
    assert list(rows[0]) == [
        "Student code",
        *KAGGLE_HEADERS,
        "reference",
        "predicted_math_score",
        "interval_low",
        "interval_high",
        "status",
        "error",
    ]
    assert [r["Student code"] for r in rows] == [f"S{i:04d}" for i in range(30)]
    assert rows[3]["status"] == "rejected" and rows[3]["predicted_math_score"] == ""
    assert rows[3]["error"] == "reading_score must be a whole number"
    assert rows[3]["reading score"] == "abc"
    scored = rows[4]
    assert scored["status"] == "ok" and scored["error"] == ""
    assert float(scored["interval_low"]) <= float(scored["predicted_math_score"])
    assert Prediction.objects.count() == 30


def test_it_takes_a_json_list_and_answers_in_json(api, production_model):
    """A JSON list of objects is scored row by row; a bad object is rejected, not fatal."""
    payload = [STUDENT, {**STUDENT, "race_ethnicity": "group F"}, {**STUDENT, "gender": "MALE"}]
    response = api.post(URL, payload, format="json")
    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["ok", "rejected", "ok"]
    assert "race_ethnicity" in results[1]["errors"]
    stored = Prediction.objects.get(pk=results[2]["id"])
    assert stored.gender == "male" and stored.raw_payload["gender"] == "MALE"
    assert Prediction.objects.get(pk=results[1]["id"]).race_ethnicity is None


def test_it_takes_a_multipart_file(api, production_model):
    """A form upload with a `file` field works like a text/csv body."""
    upload = SimpleUploadedFile("class.csv", class_csv(5).encode(), content_type="text/csv")
    response = api.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["rows_scored"] == 5
    assert Batch.objects.get().source_name == "class.csv"


def test_a_batch_belongs_to_its_caller(production_model):
    """A token user's batch is theirs; another user's GET of it is a 404."""
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    client = APIClient()
    client.force_authenticate(alice)
    batch_id = client.post(URL, [STUDENT], format="json").json()["batch_id"]
    assert Prediction.objects.get().owner == alice
    assert client.get(f"{URL}{batch_id}/", HTTP_ACCEPT="text/csv").status_code == 200
    client.force_authenticate(bob)
    assert client.get(f"{URL}{batch_id}/").status_code == 404


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("", "text/csv", "the file is empty"),
        ("gender,lunch\nmale,standard\n", "text/csv", "columns 'race_ethnicity', 'parental"),
        ("\n".join([",".join(KAGGLE_HEADERS)]) + "\n", "text/csv", "no rows"),
        ("[]", "application/json", "the list is empty"),
        ('[{"gender": "male"}, 3]', "application/json", "item 1 is not an object"),
        ('{"gender": "male"}', "application/json", "send a JSON list"),
    ],
)
def test_an_unusable_upload_answers_400_with_a_plain_message(
    api, production_model, body, content_type, message
):
    """Empty, headless, column-less or non-list input: 400 saying what is wrong; no rows."""
    response = api.post(URL, body, content_type=content_type, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["detail"]
    assert not Prediction.objects.exists() and not Batch.objects.exists()


def test_too_many_rows_answers_413(api, production_model, settings):
    """More rows than BATCH_MAX_ROWS: 413 saying the limit; nothing stored."""
    settings.BATCH_MAX_ROWS = 5
    response = api.post(URL, class_csv(6), content_type="text/csv")
    assert response.status_code == 413
    assert "at most 5" in response.json()["detail"]
    assert not Prediction.objects.exists()


def test_too_many_bytes_answers_413(api, production_model, settings):
    """A body over BATCH_JOB_MAX_BYTES (past which not even a job takes it): 413 before
    parsing; nothing stored."""
    settings.BATCH_JOB_MAX_BYTES = 200
    response = api.post(URL, class_csv(10), content_type="text/csv")
    assert response.status_code == 413
    assert "the limit is 200 bytes" in response.json()["detail"]
    assert not Prediction.objects.exists()


def test_without_a_model_every_row_is_still_stored(api, db):
    """No production model: 503, and the rows are kept as failed (valid) or rejected."""
    response = api.post(URL, class_csv(3, {1: ("gender", "?")}), content_type="text/csv")
    assert response.status_code == 503
    assert "train_model" in response.json()["detail"]
    statuses = list(Prediction.objects.order_by("batch_row").values_list("status", flat=True))
    assert statuses == ["failed", "rejected", "failed"]


def test_the_batch_page_uploads_summarises_and_downloads(client, production_model):
    """/batch/ → the batch's page with counts and reasons → the CSV, rows in input order."""
    text = class_csv(40, {5: ("reading score", "200"), 9: ("reading score", "-3")})
    upload = SimpleUploadedFile("7B.csv", text.encode(), content_type="text/csv")
    response = client.post("/batch/", {"file": upload})
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert response["Location"] == f"/batch/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "7B.csv" in page and "reading_score out of 0–100: 2 rows" in page
    assert f'href="/batch/{batch.pk}.csv"' in page
    download = client.get(f"/batch/{batch.pk}.csv")
    assert download.status_code == 200
    rows = read_csv(b"".join(download.streaming_content).decode("utf-8"))
    assert [r["reference"] for r in rows] == [f"ref-{i}" for i in range(40)]
    assert [i for i, r in enumerate(rows) if r["status"] == "rejected"] == [5, 9]
    assert rows[5]["reading score"] == "200"


def test_someone_elses_batch_page_and_download_are_404(client, production_model):
    """Another browser cannot open or download the batch."""
    upload = SimpleUploadedFile("a.csv", class_csv(3).encode(), content_type="text/csv")
    client.post("/batch/", {"file": upload})
    batch = Batch.objects.get()
    stranger = type(client)()
    assert stranger.get(f"/batch/{batch.pk}/").status_code == 404
    assert stranger.get(f"/batch/{batch.pk}.csv").status_code == 404


def test_the_batch_page_explains_a_bad_file(client, production_model):
    """A file missing a column shows the reason on the form with a 400."""
    upload = SimpleUploadedFile("bad.csv", b"gender\nmale\n", content_type="text/csv")
    response = client.post("/batch/", {"file": upload})
    assert response.status_code == 400
    assert "Columns &#x27;race_ethnicity&#x27;, &#x27;parental_level_of_education&#x27;" in (
        response.content.decode()
    )
    assert not Prediction.objects.exists()


def test_a_ragged_row_is_rejected_alone(api, production_model):
    """A line with more fields than the header is one rejected row; the file still scores."""
    lines = class_csv(5).splitlines()
    lines[3] += ",surplus"
    response = api.post(
        URL, "\n".join(lines) + "\n", content_type="text/csv", HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 201, response.content
    rows = read_csv(response.content.decode())
    assert [r["status"] for r in rows] == ["ok", "ok", "rejected", "ok", "ok"]
    assert "has 10 fields; the header has 9" in rows[2]["error"]
    assert Prediction.objects.count() == 5


def test_rejected_rows_store_errors_in_one_shape_whatever_the_channel(production_model):
    """A row refused by the single API (DRF keeps lists of messages) and one refused in a
    batch both store ``{field: message}``, so one list of predictions has one shape."""
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from predictor.models import Prediction
    from tests.factories import STUDENT

    api = APIClient()
    api.force_authenticate(User.objects.create_user("teacher"))
    single = api.post("/api/v1/predictions/", {**STUDENT, "reading_score": 400}, format="json")
    assert single.json() == {"reading_score": ["must be between 0 and 100"]}
    api.post("/api/v1/predictions/batch/", [{**STUDENT, "reading_score": 400}], format="json")
    stored = Prediction.objects.filter(status="rejected")
    assert [p.errors for p in stored] == [{"reading_score": "must be between 0 and 100"}] * 2
    listed = api.get("/api/v1/predictions/").json()["results"]
    assert [row["errors"] for row in listed] == [{"reading_score": "must be between 0 and 100"}] * 2


def test_a_reference_over_200_characters_rejects_its_row_as_the_single_api_does(
    production_model,
):
    """A batch row with a 201-character reference is refused, naming the rule; the rest
    are scored."""
    from rest_framework.test import APIClient

    from tests.factories import STUDENT

    rows = [{**STUDENT, "reference": "x" * 201}, {**STUDENT, "reference": "7B-02"}]
    body = APIClient().post("/api/v1/predictions/batch/", rows, format="json").json()
    assert [r["status"] for r in body["results"]] == ["rejected", "ok"]
    assert body["results"][0]["errors"] == {"reference": "must be at most 200 characters"}


def test_a_json_batch_words_its_rules_as_the_single_api(production_model):
    """A JSON true for a category is "must be text", never Python's 'True'; a long
    reference is counted as too long."""
    from rest_framework.test import APIClient

    from tests.factories import STUDENT

    rows = [{**STUDENT, "gender": True}, {**STUDENT, "reference": "x" * 201}]
    body = APIClient().post("/api/v1/predictions/batch/", rows, format="json").json()
    assert body["results"][0]["errors"] == {"gender": "must be text: one of female, male"}
    assert body["rejections"]["reference too long"] == 1


def test_a_row_too_long_to_keep_as_sent_is_echoed_from_its_stored_columns(api, production_model):
    """A 100,000-character note cell: the row's raw cells are cut when stored, but its
    answer still names the student's values and reference, not blanks."""
    body = (
        "gender,race_ethnicity,parental_level_of_education,lunch,test_preparation_course,"
        "reading_score,writing_score,reference,note\n"
        f"male,group B,high school,standard,none,70,71,S-0001,{'n' * 100_000}\n"
    )
    response = api.post(URL, body, content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 201
    (row,) = read_csv(response.content.decode())
    assert row["gender"] == "male" and row["race_ethnicity"] == "group B"
    assert row["reading_score"] == "70" and row["writing_score"] == "71"
    assert row["reference"] == "S-0001" and row["status"] == "ok"
    assert row["note"] == "n" * 1_000 + "…"  # cut, the rest of the row as sent


def test_a_row_too_long_even_cell_by_cell_is_echoed_from_its_stored_columns(api, production_model):
    """Twenty 1,000-character cells: over the row's limit even once each is cut, so the
    features and reference come from their own columns."""
    extra = [f"c{i}" for i in range(20)]
    header = "gender,race/ethnicity,parental level of education,lunch,test preparation course,"
    header += "reading score,writing score,reference," + ",".join(extra)
    values = "female,group C,some college,standard,completed,80,82,S-0002,"
    body = f"{header}\n{values}{','.join('z' * 1_500 for _ in extra)}\n"
    response = api.post(URL, body, content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 201
    (row,) = read_csv(response.content.decode())
    assert row["race/ethnicity"] == "group C" and row["reading score"] == "80"
    assert row["reference"] == "S-0002" and row["status"] == "ok"


def test_a_refused_long_cell_is_quoted_short_in_the_row_error(api, production_model):
    body = (
        "gender,race_ethnicity,parental_level_of_education,lunch,test_preparation_course,"
        f"reading_score,writing_score\n{'y' * 10_050},group B,high school,standard,none,70,71\n"
    )
    response = api.post(URL, body, content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 201
    (row,) = read_csv(response.content.decode())
    assert row["status"] == "rejected"
    assert "(10,050 characters)" in row["error"] and len(row["error"]) < 200


def test_formula_headers_come_back_as_text_in_every_scored_csv(client, production_model):
    """Extra column headers such as @SUM(1+1) and =HYPERLINK("x") are written with a
    leading apostrophe in the API's CSV answer and in /batch/<id>.csv, as cells are."""
    rows = [["@SUM(1+1)", '=HYPERLINK("x")', *KAGGLE_HEADERS]]
    frame = make_students(3, seed=3).drop(columns="math_score")
    rows += [["a", "b", *map(str, row)] for row in frame.itertuples(index=False)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    answer = APIClient().post(URL, text, content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert answer.status_code == 201
    upload = SimpleUploadedFile("f.csv", text.encode(), content_type="text/csv")
    assert client.post("/batch/", {"file": upload}).status_code == 302
    download = client.get(f"/batch/{Batch.objects.latest('created_at').pk}.csv")
    for body in (answer.content.decode(), b"".join(download.streaming_content).decode()):
        header = next(csv.reader(io.StringIO(body)))
        assert header[:2] == ["'@SUM(1+1)", '\'=HYPERLINK("x")']
        assert header[2:9] == KAGGLE_HEADERS
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header)


def test_a_windows_1252_batch_is_scored_and_echoed_as_valid_utf8(client, production_model):
    """A class file saved by Excel on Windows (cp1252, "bachelor’s degree" and "Zoë" as
    single bytes) is scored row by row, and comes back as UTF-8 with the same text."""
    text = class_csv(20).replace("bachelor's degree", "bachelor\u2019s degree")
    text = text.replace("ref-3", "Zoë’s class")
    data = text.encode("cp1252")
    answer = APIClient().post(URL, data, content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert answer.status_code == 201
    rows = read_csv(answer.content.decode("utf-8"))  # strict: fails on invalid UTF-8
    assert [r["status"] for r in rows] == ["ok"] * 20
    assert rows[3]["reference"] == "Zoë’s class"
    curly = [r for r in rows if r["parental level of education"] == "bachelor\u2019s degree"]
    assert curly, "the synthetic class has a bachelor's degree row"
    assert Prediction.objects.filter(parental_level_of_education="bachelor's degree").count() == (
        len(curly)
    )
    upload = SimpleUploadedFile("7B.csv", data, content_type="text/csv")
    assert client.post("/batch/", {"file": upload}).status_code == 302
    download = client.get(f"/batch/{Batch.objects.latest('created_at').pk}.csv")
    body = b"".join(download.streaming_content).decode("utf-8")
    assert "Zoë’s class" in body


def test_a_utf16_batch_is_scored(production_model):
    """A spreadsheet's "Unicode text" (UTF-16 with a BOM) is read, not refused."""
    data = class_csv(5).encode("utf-16")
    response = APIClient().post(URL, data, content_type="text/csv")
    assert response.status_code == 201, response.content
    assert response.json()["rows_scored"] == 5
