"""Content negotiation: DRF's, but an unknown ``?format=`` is a 400 that names it."""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's ``DefaultContentNegotiation``; for a ``format`` (query parameter or suffix)
    no renderer of the view has, DRF answers 404 "Not found.", which reads as a missing
    object. Here it is ``400 {"format": ["must be one of json, csv"]}``."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            formats = ", ".join(dict.fromkeys(r.format for r in renderers))
            param = self.settings.URL_FORMAT_OVERRIDE or "format"
            raise ValidationError({param: [f"must be one of {formats}"]}) from None
