"""Pagination of API lists: page numbers with a bounded page size, worded errors."""

from __future__ import annotations

import math

from rest_framework.exceptions import (
    NotFound,
    ValidationError,
)
from rest_framework.pagination import PageNumberPagination


class PredictionPagination(PageNumberPagination):
    """``?page=N`` (from 1) and ``?page_size=`` up to 500 (default ``PAGE_SIZE``)."""

    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = "page {page_number} does not exist"

    def paginate_queryset(self, queryset, request, view=None):
        """As DRF's, but a ``page`` or ``page_size`` that is not a whole number from 1 up
        (``page_size`` up to 500; empty means not given) is a 400 naming the parameter,
        like the filters' errors; a page past the end stays DRF's 404, saying how many
        pages there are."""
        errors = {}
        for name, top in (("page", None), (self.page_size_query_param, self.max_page_size)):
            raw = request.query_params.get(name)
            if not raw or raw == "last" and name == "page":
                continue  # left out, or empty: as filters, an empty value means "not given"
            if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
                errors[name] = ["must be a whole number from 1"]
            elif top is not None and int(raw) > top:
                errors[name] = [f"must be at most {top}"]
        if errors:
            raise ValidationError(errors)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            pages = max(1, math.ceil(queryset.count() / self.get_page_size(request)))
            there = "is 1 page" if pages == 1 else f"are {pages:,} pages"
            raise NotFound(f"{exc.detail}: there {there}") from None

    def get_schema_operation_parameters(self, view):
        """DRF's two parameters, with the bounds ``paginate_queryset`` enforces."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

    def get_paginated_response_schema(self, schema):
        """DRF's page schema, with examples of this API's links (the reference shows them)."""
        page = super().get_paginated_response_schema(schema)
        properties = page["properties"]
        properties["count"]["example"] = 120
        properties["next"]["example"] = "https://HOST/api/v1/predictions/?page=3"
        properties["previous"]["example"] = "https://HOST/api/v1/predictions/?page=1"
        return page
