"""A data lead browses the model versions and opens one version's card."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_visitor_opens_the_model_list_and_a_model_card(journey, served_model):
    """From the menu: the list shows the production version, its link opens its card."""
    page = journey.page
    journey.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()

    expect(page).to_have_url(journey.url("/models/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Model versions")
    row = page.get_by_role("row").filter(has_text=f"v{served_model.version}")
    expect(row).to_contain_text("production")
    expect(row).to_contain_text(served_model.algorithm)
    journey.check("model-list")

    row.get_by_role("link", name=f"v{served_model.version}").click()
    expect(page).to_have_url(journey.url(f"/models/{served_model.version}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"v{served_model.version}")
    expect(page.get_by_text(f"{served_model.metrics['test_r2']:.3f}")).to_be_visible()
    journey.check("model-card")


def test_the_model_list_says_how_to_train_when_there_is_none(journey, transactional_db):
    """Without any version the page explains the command that trains one."""
    journey.open("/models/")
    expect(journey.page.get_by_text("python manage.py train_model")).to_be_visible()
    journey.check("model-list-empty")
