"""API rate limits."""

from rest_framework import throttling


class SignedInUserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user limit (``THROTTLE_USER``), for signed-in clients only.

    DRF's own ``UserRateThrottle`` also counts anonymous clients, by address, so each
    anonymous request paid for two cache round trips (two write transactions on the
    default database cache) and met the lower of the two rates. ``AnonRateThrottle``
    (``THROTTLE_ANON``) already covers them.
    """

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
