"""Request throttles for the API and the HTML pages that score students.

DRF's throttles, with their counts in Django's cache framework (``CACHES["default"]``:
the database cache, or Redis when ``REDIS_URL`` is set), so that every worker on every
host counts against the same budget. Rates come from ``THROTTLE_ANON`` / ``THROTTLE_USER``.
"""

from __future__ import annotations

import math
from functools import wraps

from django.shortcuts import render
from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    # DRF binds the rates dict when its module is imported; reading it per request lets a
    # settings change (a test's override, a reload) take effect.
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Requests from one IP address without a login (scope ``anon``)."""


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Requests from one logged-in user (scope ``user``).

    Anonymous requests are left to ``AnonRateThrottle``: DRF's ``UserRateThrottle`` would
    count them a second time, by IP address under the user rate, which costs every
    anonymous request a second round trip to the shared cache.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


def throttle_posts(view):
    """Apply the API's throttles to an HTML view's POSTs: over the rate, a 429 page with
    ``Retry-After`` (seconds) instead of scoring."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            for throttle in (AnonRateThrottle(), UserRateThrottle()):
                if not throttle.allow_request(request, None):
                    wait = math.ceil(throttle.wait() or 1)
                    response = render(request, "429.html", {"wait": wait}, status=429)
                    response["Retry-After"] = str(wait)
                    return response
        return view(request, *args, **kwargs)

    return wrapped
