"""The suite runs on the database DATABASE_URL names (.ci/run's second pass: PostgreSQL)."""

import os

from django.db import connection


def test_it_runs_on_the_database_that_database_url_names(db):
    """A PostgreSQL DATABASE_URL gives a PostgreSQL connection with health checks; the
    default is SQLite with immediate transactions (writers queue instead of failing)."""
    url = os.environ.get("DATABASE_URL", "sqlite:///")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    if expected == "postgresql":
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    else:
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
