"""What a page answers when the database fails: SQLite locked past its busy timeout, or
the database unwritable or unreachable (a read-only or full disk, an I/O error, a
PostgreSQL server restarting)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connection
from django.shortcuts import render

logger = logging.getLogger(__name__)

# Seconds a client is told to wait when SQLite stayed locked (the API says the same).
BUSY_RETRY_AFTER = 5


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" after the busy timeout
    (``SQLITE_BUSY_TIMEOUT_SECONDS``): other writers held the one write lock too long."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` is the database failing rather than a busy lock: any other of
    Django's ``OperationalError`` / ``InterfaceError`` ("attempt to write a readonly
    database", "disk I/O error", a connection the server closed)."""
    return isinstance(exc, OperationalError | InterfaceError) and not database_busy(exc)


def forget_connection() -> None:
    """Close this thread's connection after ``database_unavailable``, so the next request
    opens a new one instead of reusing a broken or read-only one for up to
    ``DATABASE_CONN_MAX_AGE`` seconds (inside a transaction, e.g. a test's, it is left
    for its owner to end)."""
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except Exception:  # closing a connection that is already broken may fail too
        logger.warning("could not close the database connection", exc_info=True)


class DatabaseBusyMiddleware:
    """A page whose view met "database is locked", or a database that cannot be written
    or reached, answers 503 with ``Retry-After`` and a page saying so, instead of a 500.
    (The API's exception handler does the same for its views, in JSON.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_busy(exception):
            logger.warning("database busy on %s: %s", request.path, exception)
            busy = True
        elif database_unavailable(exception):
            logger.error("database unavailable on %s", request.path, exc_info=exception)
            forget_connection()
            busy = False
        else:
            return None
        response = render(request, "503.html", {"busy": busy}, status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
