"""/admin/monitoring/: staff only, every section rendered, charts as inline SVG."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from predictor.models import Prediction
from tests.factories import STUDENT

URL = "/admin/monitoring/"


@pytest.fixture
def staff_client(db):
    user = User.objects.create_user("lead", password="pw-lead-123", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_it_sends_an_anonymous_visitor_to_the_admin_login(db):
    """Anonymous: 302 to the admin login, coming back here after."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/monitoring/"


def test_it_sends_a_signed_in_non_staff_user_to_the_admin_login(db):
    """A signed-in teacher without staff status is not let in either."""
    client = Client()
    client.force_login(User.objects.create_user("teacher", password="pw-teacher-123"))
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_shows_every_section_to_staff(staff_client, production_model):
    """Staff see traffic, latency, drift, predictions, accuracy and history, drawn in SVG."""
    for _ in range(3):
        Prediction.objects.create(
            status="ok",
            channel="api",
            predicted_math_score=70,
            latency_ms=3,
            model_version=production_model,
            **STUDENT,
        )
    Prediction.objects.create(status="rejected", channel="form", errors={"lunch": ["required"]})
    response = staff_client.get(URL, {"window": "24h"})
    assert response.status_code == 200
    page = response.content.decode()
    for heading in (
        "Traffic",
        "Most common reasons for rejection",
        "Input drift against v1",
        "Prediction distribution",
        "Live accuracy and versions",
        "Status history",
    ):
        assert heading in page
    assert page.count('<svg class="chart"') == 3
    assert 'aria-current="page">Last 24 hours' in page
    assert "not enough data" in page  # three scored attempts are too few to judge
    assert '<script src="http' not in page and "cdn" not in page.lower()
    assert response.context["report"]["traffic"]["total"] == 4


def test_it_answers_400_naming_the_windows_for_an_unknown_one(staff_client):
    """?window=2w falls back to 7 days, says which windows exist, and answers 400."""
    response = staff_client.get(URL, {"window": "2w"})
    assert response.status_code == 400
    assert "window must be one of: 24h, 7d, 30d, all" in response.content.decode()
    assert response.context["report"]["window"]["key"] == "7d"


def test_it_says_how_to_train_when_no_model_is_in_production(staff_client):
    """Without a model the page still renders and says how to get one."""
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert "python manage.py train_model" in response.content.decode()


def test_the_admin_index_links_to_the_dashboard(staff_client):
    """The admin's front page has a link to the dashboard."""
    response = staff_client.get("/admin/")
    assert 'href="/admin/monitoring/"' in response.content.decode()
