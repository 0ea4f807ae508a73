"""How a write of one statement takes its transaction, on each database."""

from __future__ import annotations

import contextlib

from django.db import DEFAULT_DB_ALIAS, connections, transaction


def write_transaction(using: str = DEFAULT_DB_ALIAS):
    """A context for a write of ONE statement (an insert, an upsert).

    On SQLite, a transaction: it begins ``IMMEDIATE``, so the writer queues for SQLite's
    one write lock in short steps (``studentperf.sqlite3``) instead of in the busy
    handler's sleeps of up to 100 ms. Inside a transaction, a savepoint, so that a
    failed statement leaves the outer transaction usable. Otherwise (PostgreSQL in
    autocommit) nothing: one statement is its own transaction, and ``BEGIN`` / ``COMMIT``
    would cost two more round trips to the server.
    """
    connection = connections[using]
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return transaction.atomic(using=using)
    return contextlib.nullcontext()
