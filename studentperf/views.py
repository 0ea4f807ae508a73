"""The site's error page for unhandled exceptions: no traceback, the request id instead."""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.html import escape
from django.views import defaults

from studentperf.requestlog import current_request_id

logger = logging.getLogger("django.request")


def server_error(request):
    """``handler500``: a plain page with the request id to quote; the traceback is logged.

    Rendered without a RequestContext, as Django's own handler does, so that a broken
    context processor cannot fail the error page too.
    """
    request_id = current_request_id()
    try:
        page = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:
        # The error page must not fail in turn (the server would answer its own bare 500
        # and the request id would be lost): a page with no template at all.
        logger.exception("the 500 page could not be rendered")
        page = (
            "<!doctype html><title>Something went wrong</title>"
            "<h1>Something went wrong on our side</h1>"
            f"<p>The error has been logged with request id {escape(request_id or '')}.</p>"
        )
    return HttpResponseServerError(page)


def page_not_found(request, exception):
    """``handler404``: JSON under ``/api/`` (a script asked; it should not parse HTML),
    the site's 404 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"no such endpoint or object: {request.path}", "code": "not_found"},
            status=404,
        )
    return defaults.page_not_found(request, exception)
