"""The data lead opens the dashboard on a drifted-but-accurate day and reads what to do."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from playwright.sync_api import expect

from tests.browser.actions import log_in
from tests.factories import make_drifted_accurate_traffic, make_prediction

pytestmark = pytest.mark.browser


@pytest.fixture
def lead(served_model):
    """A staff member who may look at predictions and model versions, nothing more."""
    user = User.objects.create_user("lee", password="lee-secret-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_prediction", "view_modelversion"])
    )
    return user


def test_the_first_line_says_drifted_but_accurate_and_leads_to_the_rows(journey, lead):
    """Log in → Admin → Monitoring: the verdict comes first, says "no action needed", and
    its links open the window's rows and the model's card; on a phone the volume charts
    open on the latest hours."""
    make_drifted_accurate_traffic(80, hours=6 * 24)
    # Rejected attempts do not count towards drift or accuracy; one fails on two fields.
    make_prediction(status="rejected", errors={"reading_score": "must be between 0 and 100"})
    make_prediction(status="rejected", errors={"lunch": "required", "gender": "required"})
    page = journey.page
    journey.open("/")
    log_in(page, "lee", "lee-secret-1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Monitoring dashboard").click()
    expect(page).to_have_url(journey.url("/admin/monitoring/"))

    verdict = page.get_by_role("region", name="Verdict for the last 7 days")
    expect(verdict).to_be_visible()
    expect(verdict.locator(".verdict-line")).to_have_text(
        re.compile(
            r"^Watch Last 7 days: Inputs have drifted on 4 of 7 features since v1 was trained, "
            r"but live accuracy on 80 real scores is as good as at training \(MAE [\d.]+ "
            r"against [\d.]+\): no action needed; watch live accuracy as more real scores "
            r"arrive\.$"
        )
    )
    # It is the first thing under the page's title, above the window selector.
    first = page.locator("#content-main > *").first
    expect(first).to_have_class(re.compile(r"\bverdict-watch\b"))
    journey.check("monitoring-verdict")

    page.set_viewport_size({"width": 390, "height": 844})
    wrap = page.locator(".chart-wrap.latest-first").first
    wrap.scroll_into_view_if_needed()
    box, chart = wrap.bounding_box(), wrap.locator("svg").bounding_box()
    assert chart["width"] > box["width"]  # the chart is wider than the phone...
    assert abs(chart["x"] + chart["width"] - (box["x"] + box["width"])) < 2  # ...shown from its end
    page.set_viewport_size({"width": 1280, "height": 800})

    verdict.get_by_role("link", name="The 82 attempts in this window").click()
    expect(page).to_have_url(re.compile(r"/admin/predictor/prediction/\?created_at__"))
    expect(page.locator("#result_list tbody tr")).to_have_count(82)

    page.go_back()
    verdict.get_by_role("link", name="v1's model card").click()
    expect(page).to_have_url(journey.url("/models/1/"))
