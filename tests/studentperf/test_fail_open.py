"""Single faults in the plumbing do not take the site down: the cache table comes from
``migrate``, throttling fails open, and a relative SQLite path means one file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient

from predictor.models import Prediction
from tests.factories import STUDENT

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_alone_creates_the_cache_table(db):
    """The test database is built by ``migrate`` only; the throttle's table is in it."""
    assert "django_cache" in connection.introspection.table_names()
    caches["default"].set("probe", 41)
    assert caches["default"].get("probe") == 41


def test_predictions_are_scored_when_the_throttle_cache_is_unreachable(
    production_model, settings, caplog
):
    """Redis on a closed port: the prediction is a 201 and a warning is logged."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = APIClient().post("/api/v1/predictions/", STUDENT, format="json")
    assert response.status_code == 201, response.content
    assert Prediction.objects.filter(pk=response.json()["id"], status="ok").exists()
    assert "cache unreachable, request allowed" in caplog.text


# In autocommit, as under gunicorn: inside a test transaction PostgreSQL would abort the
# whole transaction at the failed cache query.
@pytest.mark.django_db(transaction=True)
def test_predictions_are_scored_when_the_cache_table_is_missing(production_model, settings):
    """A database cache whose table does not exist lets the request through."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        }
    }
    response = APIClient().post("/api/v1/predictions/", STUDENT, format="json")
    assert response.status_code == 201, response.content


def test_a_long_client_identity_is_counted_under_a_short_key(production_model, settings):
    """A 400-character forwarded-for chain is hashed into a key the cache column holds,
    so the client is still counted and refused over the rate."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": None,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    caches["default"].clear()
    client = APIClient(HTTP_X_FORWARDED_FOR="10.0.0.1," * 40)
    codes = [
        client.post("/api/v1/predictions/", STUDENT, format="json").status_code for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    caches["default"].clear()


def test_a_relative_sqlite_path_is_relative_to_the_project_not_the_working_directory(tmp_path):
    """``sqlite:///db.sqlite3`` run from another directory names the project's file."""
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    env = {
        **os.environ,
        "DATABASE_URL": "sqlite:///somewhere.sqlite3",
        "DJANGO_SETTINGS_MODULE": "studentperf.settings",
        "DJANGO_SECRET_KEY": "test-only",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(ROOT / "somewhere.sqlite3")
