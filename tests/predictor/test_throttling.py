"""Rate limits: anonymous clients meet THROTTLE_ANON, once; signed-in ones THROTTLE_USER."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from predictor.models import Prediction
from tests.factories import STUDENT

URL = "/api/v1/predictions/"


@pytest.fixture
def rates(monkeypatch):
    """Anonymous: 2 a minute; signed in: 1 a minute (lower, to show it is not applied)."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "1/min"})
    cache.clear()
    yield
    cache.clear()


def test_an_anonymous_client_meets_the_anonymous_rate_only(production_model, rates):
    """Two anonymous predictions pass under anon=2/min although user=1/min; the third is 429."""
    client = APIClient()
    statuses = [client.post(URL, STUDENT, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert Prediction.objects.filter(status="ok").count() == 2


def test_a_signed_in_client_meets_the_user_rate(production_model, rates, django_user_model):
    """A signed-in client is limited by THROTTLE_USER."""
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("teacher", password="x" * 12))
    statuses = [client.post(URL, STUDENT, format="json").status_code for _ in range(2)]
    assert statuses == [201, 429]
