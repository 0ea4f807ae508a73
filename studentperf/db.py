"""What a page answers when SQLite stays locked past its busy timeout."""

from __future__ import annotations

import logging

from django.db import OperationalError
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
