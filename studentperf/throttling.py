"""Request throttles for the API and the HTML pages that score students.

DRF's throttles, with their counts in Django's cache framework (``CACHES["default"]``:
the database cache, or Redis when ``REDIS_URL`` is set), so that every worker on every
host counts against the same budget. Rates come from ``THROTTLE_ANON`` / ``THROTTLE_USER``.
"""

from __future__ import annotations

import hashlib
import logging
import math
from functools import wraps

from django.shortcuts import render
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

CACHE_KEY_MAX_CHARS = 200
_PERIODS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
_WHO = {"anon": "each address without a login", "user": "each user"}


class _RatesFromSettings:
    # DRF binds the rates dict when its module is imported; reading it per request lets a
    # settings change (a test's override, a reload) take effect.
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        key = super().get_cache_key(request, view)
        if key is not None and len(key) > CACHE_KEY_MAX_CHARS:
            # A client identity can be long (a forwarded-for chain); a key past the
            # database cache's 255-character column would never be counted.
            key = f"throttle_{self.scope}_sha256_{hashlib.sha256(key.encode()).hexdigest()}"
        return key

    def allow_request(self, request, view):
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            # A rate limiter must never stop the service it guards: with its cache down
            # (Redis stopped, a table missing), let the request through and say so.
            logger.warning(
                "throttle %s: cache unreachable, request allowed", self.scope, exc_info=True
            )
            return True
        if not allowed:
            # For the 429's message (studentperf.api.exceptions.exception_handler).
            request.throttle_limit = limit_text(self.scope, self.num_requests, self.duration)
        return allowed


def limit_text(scope: str, num_requests: int, duration: int) -> str:
    """``"at most 120 requests a minute for each address without a login"``."""
    period = _PERIODS.get(duration, f"{duration} seconds")
    return f"at most {num_requests} requests a {period} for {_WHO.get(scope, scope)}"


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
