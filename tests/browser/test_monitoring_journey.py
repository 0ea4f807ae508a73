"""A staff member logs in and reads the monitoring dashboard: over a month of traffic, and
on a drifted-but-accurate week, where the first line says what to do."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from playwright.sync_api import expect

from predictor.models import Prediction
from tests.browser.actions import log_in, open_in_admin
from tests.factories import make_drifted_accurate_traffic, make_prediction

pytestmark = pytest.mark.browser

# "12.3ms", "3.07ms", "0.0123ms": a figure (three significant digits under 10 ms) and its unit.
LATENCY = re.compile(r"^\d[\d,]*(\.\d+)?ms$")


@pytest.fixture
def staff(served_model):
    """A staff member who may look at predictions and model versions, nothing more."""
    user = User.objects.create_user("mo", password="mo-secret-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_prediction", "view_modelversion"])
    )
    return user


@pytest.fixture
def month_of_traffic(served_model):
    """30 days of simulated use whose last two days come from a shifted population."""
    call_command(
        "simulate_traffic", rows=4000, days=30, drift=True, drift_days=3, seed=6, stdout=None
    )
    assert Prediction.objects.filter(reference__startswith="sim:").count() == 4000


def test_staff_reads_the_dashboard_charts_over_a_week_and_a_day(journey, staff, month_of_traffic):
    """Log in → Admin → Monitoring: charts, latency and a drift table, for 7 days and 24 h."""
    page = journey.page
    journey.open("/")
    log_in(page, "mo", "mo-secret-1")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Admin").click()
    expect(page).to_have_url(journey.url("/admin/"))
    journey.check("admin-index")

    page.get_by_role("link", name="Monitoring dashboard").click()
    expect(page).to_have_url(journey.url("/admin/monitoring/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring")
    windows = page.get_by_role("navigation", name="Time window")
    expect(windows.get_by_role("link", name="Last 7 days")).to_have_attribute(
        "aria-current", "page"
    )
    charts = page.locator("svg.chart[role=img]")
    # Volume by channel, volume by outcome, live predictions against held-out ones.
    expect(charts).to_have_count(3)
    for chart in charts.all():
        expect(chart).to_be_visible()
        assert chart.bounding_box()["height"] > 100
        assert chart.locator("rect").count() > 10
    expect(page.get_by_role("img", name="Attempts per hour by channel")).to_be_visible()
    for figure in ("Latency p50", "Latency p95", "Latency p99"):
        card = page.locator(".cards div").filter(has_text=figure)
        expect(card.locator("dd")).to_have_text(LATENCY)
    drift = page.locator("table.drift")
    expect(drift.get_by_role("row")).to_have_count(8)  # a header and the seven features
    expect(drift.get_by_role("rowheader", name="Reading score")).to_be_visible()
    journey.check("monitoring-7-days")

    windows.get_by_role("link", name="Last 24 hours").click()
    expect(page).to_have_url(journey.url("/admin/monitoring/?window=24h"))
    expect(windows.get_by_role("link", name="Last 24 hours")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("img", name="Attempts per hour by status")).to_be_visible()
    # The last day is all drifted intake: the lower reading scores must show.
    reading = drift.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Reading"))
    expect(reading.locator(".badge").first).to_have_text("drift")
    expect(page.locator(".drift-verdict strong")).to_have_text("Drift")
    expect(page.get_by_role("heading", name=re.compile(r"^\d+ alerts?$"))).to_be_visible()
    journey.check("monitoring-24-hours")

    windows.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(journey.url("/admin/monitoring/?window=7d"))
    expect(charts).to_have_count(3)


def test_the_first_line_says_drifted_but_accurate_and_leads_to_the_rows(journey, staff):
    """Log in → Admin → Monitoring: the verdict comes first, says "no action needed", and
    its links open the window's rows and the model's card; on a phone the volume charts
    open on the latest hours."""
    make_drifted_accurate_traffic(80, hours=6 * 24)
    # Rejected attempts do not count towards drift or accuracy; one fails on two fields.
    make_prediction(status="rejected", errors={"reading_score": "must be between 0 and 100"})
    make_prediction(status="rejected", errors={"lunch": "required", "gender": "required"})
    page = journey.page
    journey.open("/")
    log_in(page, "mo", "mo-secret-1")
    open_in_admin(page, "Monitoring dashboard")
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
