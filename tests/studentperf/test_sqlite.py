"""The SQLite connection's settings (studentperf.settings), on Django's own backend."""

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


@pytest.fixture
def locked_database(sqlite, tmp_path):
    """A SQLite file whose write lock another connection holds, and a connection of our
    Django backend to it that gives up after 0.2 s."""
    import sqlite3

    from django.db.backends.sqlite3.base import DatabaseWrapper

    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    settings_dict = {**connection.settings_dict, "NAME": str(path)}
    settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], "timeout": 0.2}
    waiting = DatabaseWrapper(settings_dict, alias="locked")
    yield waiting
    waiting.close()
    holder.close()


def test_a_writer_that_outwaits_the_busy_timeout_gets_djangos_operational_error(
    locked_database,
):
    """Raised as django.db's error (which the cache and the API's handler catch as
    DatabaseError), not sqlite3's, which escaped them as a 500."""
    from django.db import OperationalError

    locked_database.ensure_connection()
    with pytest.raises(OperationalError, match="database is locked"):
        locked_database.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def test_the_log_file_is_cut_back_to_32_mib_after_a_bigger_write(sqlite):
    assert pragma("journal_size_limit") == 32 * 1024 * 1024
