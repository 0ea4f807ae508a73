"""studentperf.cache.DatabaseCache: Django's database cache, each ``set`` one upsert."""

import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from studentperf.cache import DatabaseCache


def new_cache(**options) -> DatabaseCache:
    return DatabaseCache("django_cache", {"OPTIONS": options})


def stored_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache ORDER BY cache_key")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture(autouse=True)
def cache_table(db, settings):
    """The table, made when the settings use Redis (REDIS_URL) and so have none."""
    settings.CACHES = {
        "default": {"BACKEND": "studentperf.cache.DatabaseCache", "LOCATION": "django_cache"}
    }
    call_command("createcachetable")


@pytest.fixture
def cache():
    cache = new_cache()
    cache.clear()
    return cache


def test_the_settings_count_throttles_in_this_backend_without_redis():
    from studentperf import settings

    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the throttle counts are in Redis")
    assert settings.CACHES["default"]["BACKEND"] == "studentperf.cache.DatabaseCache"
    assert settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] == 50_000


def test_set_stores_a_value_and_a_second_set_replaces_it_in_the_same_row(cache):
    cache.set("throttle_anon_10.0.0.1", [3.0, 2.0, 1.0], 60)
    assert cache.get("throttle_anon_10.0.0.1") == [3.0, 2.0, 1.0]
    assert cache.set("throttle_anon_10.0.0.1", [4.0], 60) is True
    assert cache.get("throttle_anon_10.0.0.1") == [4.0]
    assert stored_keys() == [":1:throttle_anon_10.0.0.1"]


def test_set_is_one_statement(cache):
    cache.set("counted", [1.0], 60)
    with CaptureQueriesContext(connection) as queries:
        cache.set("counted", [2.0, 1.0], 60)
    # Leaving out the savepoint around it (the test runs inside a transaction).
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1
    assert "ON CONFLICT" in statements[0]


def test_get_is_one_statement_and_gives_the_default_for_a_missing_key(cache):
    cache.set("present", {"a": 1}, 60)
    with CaptureQueriesContext(connection) as queries:
        assert cache.get("present") == {"a": 1}
        assert cache.get("absent", "default") == "default"
    assert len(queries) == 2


def test_a_value_past_its_timeout_is_not_returned(cache):
    cache.set("gone", "value", 0)  # Django: a timeout of 0 expires at once.
    assert cache.get("gone", "default") == "default"
    cache.set("kept", "value", None)  # None: never expires.
    assert cache.get("kept") == "value"


def test_the_table_is_culled_as_django_does_on_one_set_in_cull_every(cache):
    """Over MAX_ENTRIES, the check on every CULL_EVERY-th set deletes expired rows first,
    then a third of the rest; in between, the table may pass the limit."""
    cache = new_cache(MAX_ENTRIES=10)
    cache.CULL_EVERY = 5
    for i in range(4):
        cache.set(f"expired-{i}", i, 0)
    for i in range(10):
        cache.set(f"live-{i:02}", i, 60)
    keys = stored_keys()
    # 14 sets: the check ran after the 5th (5 rows) and 10th (10 rows), under the limit.
    assert len(keys) == 14
    cache.set("live-10", 10, 60)  # the 15th set: 15 rows, over 10, culled.
    keys = stored_keys()
    assert not [k for k in keys if "expired" in k]
    assert len(keys) == 11 - 11 // 3
    assert cache.get("live-10") == 10


def test_a_failed_set_returns_false_and_leaves_the_outer_transaction_usable(db):
    """Like Django's, a cache write that fails must not fail the request that made it."""
    missing = DatabaseCache("no_such_cache_table", {})
    with transaction.atomic():
        assert missing.set("key", "value", 60) is False
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)


def test_a_value_expires_no_earlier_than_its_timeout(cache):
    """A throttle's count must outlive its period: Django's set rounds the expiry down to
    the second, which let a burst timed to a second's end through at twice the rate."""
    before = time.time()
    cache.set("count", [1.0], 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM django_cache")
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):  # SQLite keeps text
        expires = datetime.fromisoformat(expires).replace(tzinfo=UTC)
    assert expires.timestamp() >= before + 2


def test_a_key_longer_than_the_column_is_stored_by_its_start_and_digest(cache):
    """A throttle keyed by a 400-character client identity must still count (PostgreSQL
    refused the 255-character column's overflow, and set fails silently)."""
    long_key = "throttle_anon_" + "z" * 400
    assert cache.set(long_key, [1.0], 60) is True
    assert cache.get(long_key) == [1.0]
    assert cache.get(long_key[:-1] + "y") is None
    (stored,) = stored_keys()
    assert len(stored) <= 250 and "#sha256:" in stored
