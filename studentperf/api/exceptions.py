"""The API's one exception handler: every error becomes JSON ``{"detail", "code"}``."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from drf_spectacular.utils import (
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import (
    NotFound,
    Throttled,
)
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from predictor.errors import ModelUnavailableError, ServiceError
from studentperf.db import (
    BUSY_RETRY_AFTER,
    database_busy,
    database_unavailable,
    forget_connection,
)

logger = logging.getLogger("django.request")

ErrorSerializer = inline_serializer(
    "Error", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


MODEL_UNAVAILABLE_PUBLIC = (
    "no model can serve predictions right now; the site's staff have been told and can see "
    "why on the monitoring dashboard. Try again later"
)


def _staff(context) -> bool:
    user = getattr(context.get("request"), "user", None)
    return bool(user is not None and user.is_staff)


def not_found(thing: str, key) -> NotFound:
    """The API's one 404 wording: ``{"detail": "no such prediction: 999", "code":
    "not_found"}``. Another person's object answers the same, so it is not revealed."""
    return NotFound(f"no such {thing}: {key}")


def exception_handler(exc, context):
    """DRF's handler, plus ``ServiceError`` → its status with ``{"detail", "code"}``, a
    body over Django's upload limit → 413 (Django alone would answer an HTML 400), SQLite's
    "database is locked" past the busy timeout → 503 with ``Retry-After``, and any
    other exception → a logged traceback and a JSON 500 that names the request id, never
    the traceback."""
    if isinstance(exc, ServiceError):
        detail = exc.message
        if isinstance(exc, ModelUnavailableError) and not _staff(context):
            # Why a model cannot load (hashes, library errors) is for staff; it is in the
            # log, the audit trail and on the dashboard.
            detail = MODEL_UNAVAILABLE_PUBLIC
        return Response({"detail": detail, "code": exc.code}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "detail": f"the request body is larger than the limit of "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes",
                "code": "too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            {"detail": "bad request", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST
        )
    if database_busy(exc):
        # SQLite: other writers held the one write lock past the busy timeout
        # (SQLITE_BUSY_TIMEOUT_SECONDS). Nothing of this request was stored.
        logger.warning("database busy: %s", exc)
        set_rollback()
        return Response(
            {
                "detail": "the database is busy with other writes; nothing was stored, "
                "retry in a few seconds",
                "code": "database_busy",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
    if database_unavailable(exc):
        # Unwritable or unreachable (read-only or full disk, I/O error, PostgreSQL
        # restarting): a 503 to retry, not a 500, and a fresh connection next time.
        logger.error("database unavailable", exc_info=exc)
        set_rollback()
        forget_connection()
        return Response(
            {
                "detail": "the database cannot be written or reached right now; this "
                "request may not have been stored: retry in a few seconds",
                "code": "database_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(BUSY_RETRY_AFTER)},
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        limit = getattr(context.get("request"), "throttle_limit", None)
        if isinstance(exc, Throttled) and limit:
            response.data = {
                "detail": f"too many requests: {limit}; retry in {math.ceil(exc.wait or 1)} s",
                "code": "throttled",
            }
        elif isinstance(response.data, dict) and set(response.data) == {"detail"}:
            response.data["code"] = getattr(response.data["detail"], "code", "error")
        return response
    request = context.get("request")
    request_id = getattr(request, "request_id", None)
    logger.error(
        "unhandled error in %s",
        type(context.get("view")).__name__,
        exc_info=exc,
        extra={"path": getattr(request, "path", None)},
    )
    set_rollback()
    return Response(
        {
            "detail": f"internal error; it has been logged with request id {request_id}",
            "code": "server_error",
        },
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
