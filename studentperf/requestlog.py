"""One structured log line per request, and a request id on every log record.

``RequestLogMiddleware`` gives each request an id (the ``X-Request-ID`` header a load
balancer sent, when it looks like one, else a new uuid4), returns it in the response's
``X-Request-ID`` header, and logs one line to the ``studentperf.request`` logger when the
response is ready: ``request_id``, ``method``, ``route`` (the URL pattern, not the path,
so lines group by endpoint), ``path``, ``status``, ``latency_ms`` and, when the request
scored a student, ``model_version``. With ``LOG_FORMAT=json`` (the default) every line is
one JSON object on stdout. ``RequestIdFilter`` stamps the id on every other record logged
while the request runs, so an error's traceback in the log can be found from the id a
person quotes off an error page.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The model version that scored in this request, set by whatever serves models.
model_version_var: ContextVar[int | None] = ContextVar("model_version", default=None)

_VALID_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
logger = logging.getLogger("studentperf.request")


def current_request_id() -> str | None:
    """The id of the request this thread is serving, or ``None`` outside a request."""
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or ``None``) to every record, for the JSON formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RequestLogMiddleware:
    """Outermost middleware: request id in, one log line and ``X-Request-ID`` out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Imported here: middleware is built before URLconf import finishes, and
        # serving pulls in the models.

        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        version_token = model_version_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = getattr(request, "resolver_match", None)
            fields = {
                "request_id": request_id,
                "method": request.method,
                "route": match.route if match is not None else None,
                "path": request.path,
                "status": response.status_code,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            version = model_version_var.get()
            if version is not None:
                fields["model_version"] = version
            logger.info(
                "%s %s %s %.1f ms",
                fields["method"],
                fields["path"],
                fields["status"],
                fields["latency_ms"],
                extra=fields,
            )
            return response
        finally:
            model_version_var.reset(version_token)
            request_id_var.reset(id_token)
