"""A teacher predicts a score at / and reads the result; a typo is explained at its field."""

import re

import pytest
from playwright.sync_api import expect

from predictor.models import Prediction
from tests.browser.actions import fill_prediction_form
from tests.factories import STUDENT

pytestmark = pytest.mark.browser


def test_a_teacher_fills_the_form_and_sees_the_score_and_its_range(journey, served_model):
    """The form leads to a result page showing the score out of 100 and its likely range."""
    page = journey.page
    journey.open("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Predict a student's math score")
    journey.check("form")

    fill_prediction_form(page, STUDENT)
    page.get_by_label("Reference (optional)").fill("class 7B")
    page.get_by_role("button", name="Predict math score").click()

    expect(page).to_have_url(re.compile(r"/predictions/\d+/$"))
    prediction = Prediction.objects.get()
    assert prediction.status == "ok" and prediction.reference == "class 7B"
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    score = page.locator(".score-value")
    expect(score).to_have_text(f"{prediction.predicted_math_score:.0f}")
    range_text = page.get_by_text(re.compile(r"between\s+\d+\s+and\s+\d+"))
    expect(range_text).to_be_visible()
    expect(range_text).to_contain_text(f"{prediction.interval_low:.0f}")
    expect(range_text).to_contain_text(f"{prediction.interval_high:.0f}")
    journey.check("result")


def test_a_reading_score_of_150_is_explained_next_to_its_field(journey, served_model):
    """The field is marked invalid and its message is the element its input points to."""
    page = journey.page
    journey.open("/")
    fill_prediction_form(page, {**STUDENT, "reading_score": 150})
    page.get_by_role("button", name="Predict math score").click()

    reading = page.get_by_label("Reading score", exact=True)
    expect(reading).to_have_attribute("aria-invalid", "true")
    expect(reading).to_have_value("150")
    described_by = reading.get_attribute("aria-describedby").split()
    message = page.locator(f"#{described_by[-1]}")
    expect(message).to_be_visible()
    expect(message).to_contain_text("must be between 0 and 100")
    # At the field, as GOV.UK places it: just above the input, in the same column.
    box, text_box = reading.bounding_box(), message.bounding_box()
    assert 0 <= box["y"] - (text_box["y"] + text_box["height"]) < 40
    assert abs(text_box["x"] - box["x"]) < 2
    # The summary at the top has the focus, says there is a problem and links to the field.
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    assert page.title().startswith("Error: ")
    summary.get_by_role("link", name="Reading score must be between 0 and 100").click()
    expect(reading).to_be_focused()
    expect(page.get_by_label("Writing score", exact=True)).not_to_have_attribute(
        "aria-invalid", "true"
    )
    row = Prediction.objects.get()
    assert row.status == "rejected" and list(row.errors) == ["reading_score"]
    journey.check("form-with-error")


def test_a_keyboard_user_can_skip_to_the_form_and_see_where_focus_is(journey, served_model):
    """The first Tab shows the skip link; focused fields draw a visible outline."""
    page = journey.page
    journey.open("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    page.keyboard.press("Tab")
    gender = page.get_by_label("Gender", exact=True)
    expect(gender).to_be_focused()
    outline = gender.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, outline
    journey.check("form-keyboard-focus")
