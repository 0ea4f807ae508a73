"""The SQLite connection's settings (studentperf.settings, studentperf.sqlite3)."""

import pytest
from django.db import connection


@pytest.fixture
def sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip(f"SQLite settings; this run is on {connection.vendor}")
    return connection


def pragma(name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_statement_journals_stay_in_memory(sqlite):
    """temp_store=MEMORY (2): a prediction's insert journals more than SQLite's 64 KiB
    spill limit, which would otherwise create and delete a file on every request."""
    assert pragma("temp_store") == 2


def test_commits_wait_for_the_disk_only_at_checkpoints(sqlite):
    assert pragma("synchronous") == 1  # NORMAL


def test_the_log_is_copied_into_the_database_every_4000_pages(sqlite):
    assert pragma("wal_autocheckpoint") == 4000
