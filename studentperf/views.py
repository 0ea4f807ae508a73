"""The site's error page for unhandled exceptions: no traceback, the request id instead."""

from __future__ import annotations

from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults

from studentperf.requestlog import current_request_id


def server_error(request):
    """``handler500``: a plain page with the request id to quote; the traceback is logged.

    Rendered without a RequestContext, as Django's own handler does, so that a broken
    context processor cannot fail the error page too.
    """
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
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
