"""A staff member logs in and reads the monitoring dashboard over a month of traffic."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from playwright.sync_api import expect

from predictor.models import Prediction
from tests.browser.actions import log_in

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
