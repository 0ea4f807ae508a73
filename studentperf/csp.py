"""Content-Security-Policy exceptions that belong to the whole site, not to one view."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE


class AdminInlineStylesMiddleware:
    """Let Django's admin pages apply inline styles; scripts stay our own files only.

    The admin's change pages apply inline styles that a strict ``style-src 'self'``
    blocks (Chromium reports them on /admin/predictor/modelversion/<id>/change/). Staff
    alone see these pages, and an inline style cannot run code, so ``style-src`` gains
    ``'unsafe-inline'`` under /admin/ only. Listed after ``CSPMiddleware`` so that its
    answer is marked before CSPMiddleware builds the header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return response
