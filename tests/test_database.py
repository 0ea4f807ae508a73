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


def test_no_index_of_the_predictions_table_leads_another(db):
    """Every stored prediction pays for each index it enters, so none may be one that a
    longer index starting with the same columns already serves (a foreign key's or
    ``db_index``'s own index, say, beside a composite one on it)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "predictor_prediction")
    indexes = {
        name: tuple(c["columns"])
        for name, c in constraints.items()
        # PostgreSQL's "_like" twins serve LIKE 'x%' (varchar_pattern_ops): another kind.
        if c["index"] and not c["primary_key"] and not name.endswith("_like")
    }
    led = [
        (name, other)
        for name, columns in indexes.items()
        for other, longer in indexes.items()
        if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns
    ]
    assert led == []
