"""A teacher logs in, scores a class from a CSV, finds it in the history and records a
real score."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from predictor.models import Batch, Prediction
from tests.predictor.predictions.test_batch import class_csv

pytestmark = pytest.mark.browser


@pytest.fixture
def teacher(served_model):
    return User.objects.create_user("ann", password="ann-secret-1")


def test_a_teacher_scores_a_class_and_records_a_real_score(journey, teacher, tmp_path):
    """Login → Batch → summary and download → History → a result → its actual score."""
    page = journey.page
    nav = page.get_by_role("navigation", name="Main")
    journey.open("/")
    nav.get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    journey.check("login")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("ann-secret-1")
    page.get_by_role("button", name="Log in").click()
    expect(nav.get_by_role("button", name="Log out ann")).to_be_visible()

    nav.get_by_role("link", name="Batch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Score a class at once")
    journey.check("batch-form")
    csv_path = tmp_path / "class-7B.csv"
    csv_path.write_text(class_csv(30, {4: ("reading score", "120")}))
    page.get_by_label("File (CSV, tab-separated text or Excel .xlsx)").set_input_files(csv_path)
    page.get_by_role("button", name="Score the file").click()

    batch = Batch.objects.get()
    expect(page).to_have_url(journey.url(f"/batch/{batch.pk}/"))
    expect(page.get_by_text("reading_score out of 0–100: 1 row")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="ref-4")
    expect(row).to_contain_text("must be between 0 and 100")
    journey.check("batch-summary")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the scored CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 31 and lines[0].endswith("status,error")

    nav.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your predictions")
    page.get_by_label("Reference contains").fill("ref-7")
    page.get_by_role("button", name="Filter").click()
    target = Prediction.objects.get(reference="ref-7")
    expect(page.get_by_role("row").filter(has_text="ref-7")).to_have_count(1)
    journey.check("history")

    page.get_by_role("link", name=str(target.pk), exact=True).click()
    expect(page).to_have_url(journey.url(f"/predictions/{target.pk}/"))
    page.get_by_label("When you know it").fill("64")
    page.get_by_role("button", name="Record actual score").click()
    expect(page.get_by_text("Actual math score recorded.")).to_be_visible()
    journey.check("result-with-actual-score")
    target.refresh_from_db()
    assert target.actual_math_score == 64
