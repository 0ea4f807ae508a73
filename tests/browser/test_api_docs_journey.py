"""A developer reads the API docs, served entirely by the site (Swagger UI from the sidecar)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_load_offline_and_list_the_prediction_endpoint(journey, transactional_db):
    """Swagger UI renders the schema with no request to any other host."""
    page = journey.page
    journey.open("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API").click()

    expect(page).to_have_url(journey.url("/api/v1/docs/"))
    expect(page.get_by_role("heading", name="studentperf API")).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/predictions/").first
    ).to_be_visible()
    page.wait_for_load_state("networkidle")
    journey.check("api-docs")

    page.get_by_role("link", name="studentperf").click()
    expect(page).to_have_url(journey.url("/"))
