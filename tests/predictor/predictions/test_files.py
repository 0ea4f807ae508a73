"""Teachers' files (issue 15, items 1–5): workbooks and tab-separated text for batches and
real scores, the class on the batch's page, downloads written as the upload was,
templates, every missing column at once, real scores by reference after a re-upload, and
form errors as the GOV.UK pattern words them."""

import csv
import io
from html import unescape

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from predictor.models import Batch, Prediction
from tests.factories import STUDENT

HEADERS = ["name", *STUDENT, "reference"]


def class_rows():
    """Five students with a name column; rows 2 and 4 are bad (reading 105, no lunch)."""
    rows = []
    for i in range(5):
        student = {**STUDENT, "reading_score": 60 + i}
        if i == 1:
            student["reading_score"] = 105
        if i == 3:
            student["lunch"] = ""
        rows.append([f"Pupil {i}", *student.values(), f"7B-{i:02d}"])
    return rows


def workbook(rows, headers=HEADERS, title="Class 7B", extra_sheet=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append([int(v) if isinstance(v, str) and v.isdigit() else v for v in row])
    if extra_sheet:
        book.create_sheet(extra_sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_upload(data: bytes, name="class-7B.xlsx"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def read_workbook(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_an_xlsx_class_is_scored_and_its_page_shows_the_class(client, production_model):
    """A workbook with a name column and two bad rows: every row stored, the page lists
    each name with its score, range and status, and names the refused value."""
    response = client.post("/batch/", {"file": xlsx_upload(workbook(class_rows()))})
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert (batch.rows_scored, batch.rows_rejected, batch.file_format) == (3, 2, "xlsx")
    page = unescape(client.get(response["Location"]).content.decode())
    for i in range(5):
        assert f"Pupil {i}" in page and f"7B-{i:02d}" in page
    assert "reading_score 105 must be between 0 and 100" in page
    assert "lunch is empty" in page
    first = Prediction.objects.get(batch_row=0)
    assert f"{first.interval_low:.0f}–{first.interval_high:.0f}" in page
    assert "data-sortable" in page and "sortable-table.js" in page


def test_an_xlsx_batch_downloads_as_xlsx_named_after_the_upload(client, production_model):
    """The workbook comes back as a workbook called class-7B-scored.xlsx, numbers as numbers."""
    client.post("/batch/", {"file": xlsx_upload(workbook(class_rows()))})
    batch = Batch.objects.get()
    response = client.get(f"/batch/{batch.pk}.xlsx")
    assert response.status_code == 200
    assert 'filename="class-7B-scored.xlsx"' in response["Content-Disposition"]
    rows = read_workbook(b"".join(response.streaming_content))
    assert rows[0][:2] == ["name", "gender"] and rows[0][-5:][0] == "predicted_math_score"
    assert rows[1][0] == "Pupil 0" and rows[1][6] == 60 and isinstance(rows[1][-5], float)
    assert rows[2][-2] == "rejected" and "between 0 and 100" in rows[2][-1]


def test_the_sheet_named_in_the_form_is_read(client, production_model):
    """A workbook whose class is on a second sheet is read from the sheet named."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Spring term"])
    sheet = book.create_sheet("Marks")
    sheet.append(HEADERS)
    sheet.append(class_rows()[0])
    out = io.BytesIO()
    book.save(out)
    response = client.post("/batch/", {"file": xlsx_upload(out.getvalue()), "sheet": "marks"})
    assert response.status_code == 302
    assert Batch.objects.get().rows_scored == 1


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"not a workbook", "class.xlsx", "not an Excel workbook (.xlsx)"),
        (None, "class.xlsx", "no sheet named 'Term 3' (its sheets: 'Class 7B')"),
        (
            "title",
            "class.xlsx",
            "is not a table: its first row (row 1) holds only 'Class 7B marks'",
        ),
    ],
)
def test_a_workbook_that_cannot_be_read_is_refused_naming_the_cause(
    client, production_model, data, name, message
):
    """A file that is no workbook, a missing sheet, a title above the header: 400 with
    the cause, in the error summary, nothing stored."""
    form = {"sheet": "Term 3"} if data is None else {}
    if data is None:
        data = workbook(class_rows())
    if data == "title":
        book = openpyxl.Workbook()
        book.active.append(["Class 7B marks"])
        book.active.append(HEADERS)
        book.active.append(class_rows()[0])
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    response = client.post("/batch/", {"file": xlsx_upload(data, name), **form})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert message in html and "There is a problem" in html
    assert "<title>Error: " in html
    assert not Prediction.objects.exists()


def test_tab_separated_text_with_trailing_commas_and_columns_is_accepted(client, production_model):
    """Tabs as delimiters, and a comma file's trailing empty column and trailing commas."""
    values = "\t".join(map(str, STUDENT.values()))
    tsv = ("\t".join(STUDENT) + "\n" + values + "\n").encode()
    response = client.post("/batch/", {"file": SimpleUploadedFile("c.tsv", tsv)})
    assert response.status_code == 302
    comma = (",".join(STUDENT) + ",,\n" + ",".join(map(str, STUDENT.values())) + ",,\n").encode()
    response = client.post("/batch/", {"file": SimpleUploadedFile("c.csv", comma)})
    assert response.status_code == 302
    assert Prediction.objects.filter(status="ok").count() == 2


def test_a_decimal_comma_is_refused_naming_the_comma(client, production_model):
    """In a semicolon file "72,0" is a cell; in a comma file it splits the row: both rows
    are rejected with a message that names the decimal comma."""
    semi = ";".join(STUDENT) + "\n" + ";".join(map(str, STUDENT.values())).replace(";72;", ";72,0;")
    client.post("/batch/", {"file": SimpleUploadedFile("s.csv", semi.encode())})
    row = Prediction.objects.get()
    assert row.status == "rejected"
    assert "has a decimal comma; write 72" in row.errors["reading_score"]
    values = [str(v) for v in STUDENT.values()]
    values[5] = "72,0"
    comma = ",".join(STUDENT) + "\n" + ",".join(values) + "\n"
    client.post("/batch/", {"file": SimpleUploadedFile("c.csv", comma.encode())})
    row = Prediction.objects.latest("pk")
    assert "decimal comma in 72,0" in row.errors["row"]


def test_the_csv_download_keeps_the_delimiter_and_byte_order_mark(client, production_model):
    """A semicolon file with a BOM comes back as class-7B-scored.csv, semicolons and BOM,
    and its scores with decimal commas, as the European Excel that wrote it reads them."""
    text = "\ufeff" + ";".join(HEADERS) + "\n"
    text += "\n".join(";".join(map(str, row)) for row in class_rows()) + "\n"
    client.post("/batch/", {"file": SimpleUploadedFile("class 7B.csv", text.encode("utf-8"))})
    batch = Batch.objects.get()
    assert (batch.delimiter, batch.byte_order_mark) == (";", True)
    response = client.get(f"/batch/{batch.pk}.csv")
    assert 'filename="class_7B-scored.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffname;gender;")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 6 and rows[1][0] == "Pupil 0" and rows[1][-2] == "ok"
    score, low, high = rows[1][-5:-2]
    assert "," in score and "." not in score and float(score.replace(",", ".")) > 0
    assert (
        float(low.replace(",", "."))
        <= float(score.replace(",", "."))
        <= float(high.replace(",", "."))
    )


def test_every_missing_column_is_named_at_once(client, production_model):
    """A file lacking three columns names the three in one message."""
    data = (
        b"gender,race_ethnicity,parental_level_of_education,lunch\n"
        b"male,group A,high school,standard\n"
    )
    response = client.post("/batch/", {"file": SimpleUploadedFile("c.csv", data)})
    assert response.status_code == 400
    assert (
        "Columns 'test_preparation_course', 'reading_score' and 'writing_score' are missing"
        in unescape(response.content.decode())
    )


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_templates_download_and_score_as_they_are(client, production_model, extension):
    """The class template, in either format, is linked from the batch page and scores."""
    assert f"/batch/templates/class-template.{extension}" in client.get("/batch/").content.decode()
    response = client.get(f"/batch/templates/class-template.{extension}")
    assert response.status_code == 200
    data = response.content if extension == "csv" else b"".join(response.streaming_content)
    upload = SimpleUploadedFile(f"class-template.{extension}", data)
    assert client.post("/batch/", {"file": upload}).status_code == 302
    assert Prediction.objects.get().status == "ok"


def test_the_api_scores_an_xlsx_upload_from_the_sheet_named(production_model):
    """POST /api/v1/predictions/batch/ with a workbook in 'file' and a 'sheet'."""
    api = APIClient()
    data = workbook(class_rows(), extra_sheet="Other")
    response = api.post(
        "/api/v1/predictions/batch/",
        {"file": xlsx_upload(data), "sheet": "Class 7B"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["ok", "rejected", "ok", "rejected", "ok"]


def scored_twice(client):
    """The class uploaded twice as a workbook: every reference matches two predictions."""
    client.post("/batch/", {"file": xlsx_upload(workbook(class_rows()))})
    client.post("/batch/", {"file": xlsx_upload(workbook(class_rows()))})


def scores_workbook(rows) -> bytes:
    return workbook(rows, headers=["reference", "actual_math_score"], title="Scores")


def test_scores_by_reference_after_a_reupload_go_to_the_newest(client, production_model):
    """After uploading the class twice, a reference takes the newest scored prediction,
    the report says so, and a blank score is skipped, not an error."""
    scored_twice(client)
    data = scores_workbook([["7B-00", 70], ["7B-02", None]])
    response = client.post("/history/outcomes/", {"file": xlsx_upload(data, "scores.xlsx")})
    assert response.status_code == 200
    html = unescape(response.content.decode())
    newest, older = Prediction.objects.filter(reference="7B-00").order_by("-created_at", "-pk")
    newest.refresh_from_db()
    assert newest.actual_math_score == 70 and older.actual_math_score is None
    assert f"recorded on the newest, {newest.pk} (not {older.pk})" in html
    assert "1 recorded, 1 skipped (no score), 0 not recorded" in html


def test_scores_by_an_ambiguous_reference_can_be_refused(client, production_model):
    """With "refuse", the row names both predictions and nothing is recorded."""
    scored_twice(client)
    data = scores_workbook([["7B-00", 70]])
    response = client.post(
        "/history/outcomes/", {"file": xlsx_upload(data, "s.xlsx"), "on_ambiguous": "refuse"}
    )
    assert "matches 2 scored predictions" in unescape(response.content.decode())
    assert not Prediction.objects.filter(actual_math_score__isnull=False).exists()


def test_the_outcomes_api_reports_skipped_and_refuses_a_bad_option(production_model):
    """The API's report counts skipped rows; an unknown on_ambiguous is a 400 naming it."""
    api = APIClient()
    api.post("/api/v1/predictions/", STUDENT | {"reference": "r1"}, format="json")
    data = "reference,actual_math_score\nr1,\n"
    response = api.post("/api/v1/predictions/outcomes/", data, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["skipped"] == 1 and response.json()["rows"][0]["result"] == "skipped"
    bad = api.post(
        "/api/v1/predictions/outcomes/?on_ambiguous=guess", data, content_type="text/csv"
    )
    assert bad.status_code == 400 and "guess" in bad.content.decode()
    # Empty is left out, as the schema says of every optional parameter: the default.
    empty = api.post("/api/v1/predictions/outcomes/?on_ambiguous=", data, content_type="text/csv")
    assert empty.status_code == 200 and empty.json()["skipped"] == 1


def test_the_outcome_page_explains_the_round_trip(client, db):
    """Export, fill in, upload: the three steps and the scores template are on the page."""
    html = client.get("/history/outcomes/").content.decode()
    assert "Export" in html and "Fill in" in html and "Upload" in html
    assert "/batch/templates/scores-template.xlsx" in html


def test_form_errors_follow_the_govuk_pattern(client, production_model):
    """A summary titled "There is a problem" that takes the focus, "Error: " in the title,
    per-field wording, and the values kept."""
    response = client.post("/", {**STUDENT, "gender": "", "reading_score": ""})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "<title>Error: Predict a math score" in html
    assert "There is a problem" in html and "data-error-summary" in html
    assert "error-summary.js" in html
    assert "Select the student's gender" in html
    assert "Enter the reading score, a whole number from 0 to 100" in html
    assert 'value="74"' in html  # the writing score as typed


def test_the_race_ethnicity_field_explains_its_groups(client, db):
    """Groups A–E get a one-line explanation: anonymised labels of the data set."""
    html = client.get("/").content.decode()
    assert "anonymised labels of the data set" in html


def test_the_actual_score_form_shows_its_error_at_the_field(client, production_model):
    """An out-of-range actual score: the page again with a 400, the message at the field,
    the value as typed kept, nothing recorded."""
    client.post("/", STUDENT)
    prediction = Prediction.objects.get()
    response = client.post(f"/predictions/{prediction.pk}/outcome/", {"actual_math_score": "120"})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert 'id="id_actual_math_score_error"' in html
    assert "Actual math score must be between 0 and 100" in html and 'value="120"' in html
    prediction.refresh_from_db()
    assert prediction.actual_math_score is None


def test_the_batch_page_says_plainly_when_no_model_can_serve(client, db):
    """No model: the batch page's error names no developer command."""
    data = (",".join(STUDENT) + "\n" + ",".join(map(str, STUDENT.values())) + "\n").encode()
    response = client.post("/batch/", {"file": SimpleUploadedFile("c.csv", data)})
    assert response.status_code == 503
    html = response.content.decode()
    assert "Predictions cannot be made right now" in html and "manage.py" not in html


def test_a_batch_scored_by_two_versions_names_both_with_their_rows(
    client, production_model, trained
):
    """A promotion while a job ran leaves rows of two versions: the page names each with
    its row count, not only the first."""
    import copy

    from predictor.models import Prediction
    from predictor.registry.services import model_version_register

    response = client.post("/batch/", {"file": xlsx_upload(workbook(class_rows()))})
    batch = Batch.objects.get()
    second, _, _ = model_version_register(
        result=copy.copy(trained), promote=False, actor_label="tests"
    )
    later = Prediction.objects.filter(batch_id=batch.pk, status="ok").order_by("batch_row")
    Prediction.objects.filter(pk__in=list(later.values_list("pk", flat=True)[1:])).update(
        model_version=second
    )
    page = unescape(client.get(response["Location"]).content.decode())
    v1, v2 = production_model.version, second.version
    assert f"v{v1}</a> (1 row) and " in page and f"v{v2}</a> (2 rows)" in page
    assert "the production version changed while it was scored" in page
