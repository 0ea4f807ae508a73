"""Throttling: over the rate, the API and the scoring pages answer 429 with Retry-After,
counting in the shared cache (database by default, Redis when configured)."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT

URL = "/api/v1/predictions/"


def forget_counts():
    # On Redis, clear() would flush the whole shared database; delete_pattern keeps to
    # this test's key prefix.
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def low_rates(db, settings):
    """Two requests a minute for anonymous callers, three for users; a clean count."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    forget_counts()
    yield settings
    forget_counts()


def test_the_api_answers_429_with_retry_after_over_the_anonymous_rate(low_rates, production_model):
    """The third anonymous request in a minute is refused, saying when to retry."""
    client = APIClient()
    codes = [client.post(URL, STUDENT, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    refused = client.post(URL, STUDENT, format="json")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith(
        "too many requests: at most 2 requests a minute for each address without a login; retry in "
    )
    assert Prediction.objects.count() == 2
    assert cache.get("throttle_anon_127.0.0.1") is not None


def test_an_anonymous_request_is_counted_once(low_rates, production_model):
    """Anonymous requests count against the anon budget only, not also the user one by IP
    (one cache round trip per request, not two)."""
    client = APIClient()
    assert client.post(URL, STUDENT, format="json").status_code == 201
    assert len(cache.get("throttle_anon_127.0.0.1")) == 1
    assert cache.get("throttle_user_127.0.0.1") is None


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(low_rates, production_model):
    """A client cannot pick a fresh X-Forwarded-For per request to dodge the throttle."""
    client = APIClient()
    codes = [
        client.post(URL, STUDENT, format="json", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}").status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]


def test_a_logged_in_user_gets_the_user_rate(low_rates, production_model):
    """A user's budget is THROTTLE_USER (here 3), counted per user."""
    client = APIClient()
    client.force_authenticate(User.objects.create_user("alice"))
    codes = [client.get(URL).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "at most 3 requests a minute for each user" in client.get(URL).json()["detail"]


def test_the_html_form_is_throttled_too(client, low_rates, production_model):
    """Posting the form over the rate shows a 429 page with Retry-After and stores nothing."""
    codes = [client.post("/", STUDENT).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    refused = client.post("/", STUDENT)
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert Prediction.objects.count() == 2
    assert client.get("/").status_code == 200


@pytest.fixture
def redis_cache(settings):
    """The default cache on the local Redis (db 15, a key prefix of our own), or a skip."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, db=15, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"no Redis answering at 127.0.0.1:6379 ({exc})")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"studentperf-test-{uuid.uuid4().hex}",
        }
    }
    yield cache
    forget_counts()


def test_throttle_counts_live_in_redis_when_configured(redis_cache, low_rates, production_model):
    """With Redis as the cache, the 429 still comes and the count is a Redis key."""
    client = APIClient()
    codes = [client.post(URL, STUDENT, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert "throttle_anon_127.0.0.1" in redis_cache.keys("*")
    assert len(redis_cache.get("throttle_anon_127.0.0.1")) == 2
