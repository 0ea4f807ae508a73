"""How a write of one statement takes its transaction, on each database; and what a page
answers when SQLite stays locked."""

from __future__ import annotations

import contextlib
import logging

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.shortcuts import render

logger = logging.getLogger(__name__)

# Seconds a client is told to wait when SQLite stayed locked (the API says the same).
BUSY_RETRY_AFTER = 5


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" after the busy timeout
    (``SQLITE_BUSY_TIMEOUT_SECONDS``): other writers held the one write lock too long."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class DatabaseBusyMiddleware:
    """A page whose view met "database is locked" answers 503 with ``Retry-After`` and a
    page saying nothing was stored, instead of a 500. (The API's exception handler does
    the same for its views, in JSON.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        logger.warning("database busy on %s: %s", request.path, exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response


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
