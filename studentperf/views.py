"""The site's error page for unhandled exceptions: no traceback, the request id instead."""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.template import loader

from studentperf.requestlog import current_request_id


def server_error(request):
    """``handler500``: a plain page with the request id to quote; the traceback is logged.

    Rendered without a RequestContext, as Django's own handler does, so that a broken
    context processor cannot fail the error page too.
    """
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(page)
