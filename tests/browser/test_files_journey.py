"""A teacher's files (issue 15): an .xlsx class with a name column and two bad rows scored
and shown as a class, downloaded as .xlsx, uploaded twice, then its real scores recorded
by reference; and a form error whose summary takes the focus."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from predictor.models import Batch, Prediction
from tests.browser.actions import log_in
from tests.factories import STUDENT

pytestmark = pytest.mark.browser

FILE_LABEL = "File (CSV, tab-separated text or Excel .xlsx)"


@pytest.fixture
def teacher(served_model):
    return User.objects.create_user("bea", password="bea-secret-1")


def class_workbook(path):
    """Class 7B: a name column, eight students; Cara's reading score is 105 and Dan's
    lunch is empty."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Class 7B"
    sheet.append(["Name", *STUDENT, "reference"])
    names = ["Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gus", "Hal"]
    for i, name in enumerate(names):
        student = {**STUDENT, "reading_score": 50 + 5 * i, "writing_score": 48 + 5 * i}
        if name == "Cara":
            student["reading_score"] = 105
        if name == "Dan":
            student["lunch"] = None
        sheet.append([name, *student.values(), f"7B-{i + 1:02d}"])
    book.save(path)


def scores_workbook(path):
    book = openpyxl.Workbook()
    book.active.append(["reference", "actual_math_score"])
    book.active.append(["7B-01", 71])
    book.active.append(["7B-02", None])
    book.save(path)


def test_a_teacher_scores_an_xlsx_class_and_records_its_scores(journey, teacher, tmp_path):
    """Batch (xlsx) → the class on its page, sorted → .xlsx download → the class again →
    actual scores by reference, recorded on the newest upload and said so."""
    page = journey.page
    journey.open("/")
    log_in(page, "bea", "bea-secret-1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batch").click()
    journey.check("batch-form")

    path = tmp_path / "class-7B.xlsx"
    class_workbook(path)
    page.get_by_label(FILE_LABEL).set_input_files(path)
    page.get_by_role("button", name="Score the file").click()
    batch = Batch.objects.get()
    expect(page).to_have_url(journey.url(f"/batch/{batch.pk}/"))
    table = page.locator("#class-table")
    expect(table.get_by_role("row")).to_have_count(9)
    expect(table.get_by_role("row").filter(has_text="Cara")).to_contain_text(
        "reading_score 105 must be between 0 and 100"
    )
    expect(table.get_by_role("row").filter(has_text="Dan")).to_contain_text("lunch is empty")
    ann = Prediction.objects.get(reference="7B-01")
    expect(table.get_by_role("row").filter(has_text="Ann")).to_contain_text(
        f"{ann.predicted_math_score:.0f}"
    )
    # Sorted by predicted score, highest first: Hal (the best reader) leads.
    header = table.get_by_role("columnheader", name="Predicted score")
    header.get_by_role("button").click()
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(table.locator("tbody tr").first).to_contain_text("Hal")
    journey.check("batch-class")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the scored workbook (.xlsx)").click()
    assert download.value.suggested_filename == "class-7B-scored.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name" and rows[0][-5] == "predicted_math_score"
    assert [r[0] for r in rows[1:]] == ["Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gus", "Hal"]
    assert rows[3][-2] == "rejected" and rows[1][-2] == "ok"

    # The class again (a corrected copy, say): every reference now matches two predictions.
    page.get_by_role("link", name="Score another file").click()
    page.get_by_label(FILE_LABEL).set_input_files(path)
    page.get_by_role("button", name="Score the file").click()
    expect(page.locator("#class-table").get_by_role("row")).to_have_count(9)

    page.get_by_role("link", name="Record their actual scores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload actual math scores")
    journey.check("outcomes-form")
    scores = tmp_path / "scores.xlsx"
    scores_workbook(scores)
    page.get_by_label(FILE_LABEL).set_input_files(scores)
    page.get_by_role("button", name="Record the scores").click()
    newest, older = Prediction.objects.filter(reference="7B-01").order_by("-created_at", "-pk")
    expect(page.get_by_role("heading", name="1 recorded, 1 skipped")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="7B-01")).to_contain_text(
        f"recorded on the newest, {newest.pk}"
    )
    journey.check("outcomes-report")
    newest.refresh_from_db()
    older.refresh_from_db()
    assert newest.actual_math_score == 71 and older.actual_math_score is None


def test_a_form_error_focuses_the_summary(journey, served_model):
    """An empty gender: "There is a problem" has the focus, the title says Error, the
    message asks to select the gender, the other values stay as typed."""
    page = journey.page
    journey.open("/")
    expect(page.get_by_text("anonymised labels of the data set")).to_be_visible()
    page.get_by_label("Reading score", exact=True).fill("72")
    page.get_by_role("button", name="Predict math score").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Select the student's gender")
    expect(summary).to_contain_text("Enter the writing score, a whole number from 0 to 100")
    assert page.title().startswith("Error: ")
    expect(page.get_by_label("Reading score", exact=True)).to_have_value("72")
    journey.check("form-error-summary")


def test_the_actual_score_error_is_shown_at_its_field(journey, served_model):
    """A real score of 150 on a result page: the page again, the message at the field."""
    page = journey.page
    journey.open("/")
    from tests.browser.actions import fill_prediction_form

    fill_prediction_form(page, STUDENT)
    page.get_by_role("button", name="Predict math score").click()
    page.get_by_label("When you know it").fill("150")
    page.get_by_role("button", name="Record actual score").click()
    field = page.get_by_label("When you know it")
    expect(field).to_have_value("150")
    expect(page.locator("#id_actual_math_score_error")).to_contain_text(
        "Actual math score must be between 0 and 100"
    )
    expect(page.get_by_role("alert")).to_be_focused()
    journey.check("actual-score-error")
