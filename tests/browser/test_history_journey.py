"""A teacher without an account finds one of this session's predictions by its reference."""

import re

import pytest
from playwright.sync_api import expect

from predictor.models import Prediction
from tests.browser.actions import fill_prediction_form
from tests.factories import STUDENT

pytestmark = pytest.mark.browser


def test_a_teacher_finds_a_form_prediction_in_history_by_its_reference(journey, served_model):
    """Two predictions from the form → History → filter "Amira" → only hers → her result."""
    page = journey.page
    journey.open("/")
    for reference, reading in (("7B Amira", 81), ("7B Jonas", 58)):
        fill_prediction_form(page, {**STUDENT, "reading_score": reading})
        page.get_by_label("Reference (optional)").fill(reference)
        page.get_by_role("button", name="Predict math score").click()
        expect(page).to_have_url(re.compile(r"/predictions/\d+/$"))
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Predict").click()
    assert Prediction.objects.filter(status="ok").count() == 2

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your predictions")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)  # the header and both predictions
    page.get_by_label("Reference contains").fill("amira")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"/history/\?.*\breference=amira\b"))
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("7B Amira")
    expect(page.get_by_text("7B Jonas")).to_have_count(0)
    journey.check("history-filtered")

    amira = Prediction.objects.get(reference="7B Amira")
    rows.nth(1).get_by_role("link", name=str(amira.pk), exact=True).click()
    expect(page).to_have_url(journey.url(f"/predictions/{amira.pk}/"))
    expect(page.locator(".score-value")).to_have_text(f"{amira.predicted_math_score:.0f}")
    expect(page.get_by_text("7B Amira")).to_be_visible()
    journey.check("history-result")
