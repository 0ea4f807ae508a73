"""Token authentication that refuses a malformed ``Authorization`` header.

DRF's ``TokenAuthentication`` treats a header in any other scheme (a bare key,
``Bearer <key>``) as no header at all, so the caller is served as anonymous: a history
list answers 200 and empty, and an integrator concludes they have no data. Here any
``Authorization`` header that is present but not a valid ``Token <key>`` is a 401 that
shows the expected form.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

EXPECTED = "expected: Authorization: Token <key>"


class StrictTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` → that key's user; no header → anonymous (the next
    class, session auth, may still identify the caller); anything else → 401
    ``{"detail": "... expected: Authorization: Token <key>", "code": "authentication_failed"}``
    with ``WWW-Authenticate: Token``."""

    def authenticate(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        parts = get_authorization_header(request).split()
        if not parts:
            self._refuse("the Authorization header is empty")
        if parts[0].lower() != self.keyword.lower().encode():
            scheme = parts[0].decode("latin-1")[:20]
            if len(parts) == 1:
                self._refuse("the Authorization header has no scheme")
            self._refuse(f'the Authorization scheme "{scheme}" is not accepted')
        if len(parts) == 1:
            self._refuse("the Authorization header has no key after Token")
        if len(parts) > 2:
            self._refuse("the token key must not contain spaces")
        try:
            key = parts[1].decode()
        except UnicodeError:
            self._refuse("the token key has characters no key has")
        try:
            return self.authenticate_credentials(key)
        except exceptions.AuthenticationFailed:
            self._refuse("this token is unknown or its user is inactive")

    @staticmethod
    def _refuse(reason: str):
        raise exceptions.AuthenticationFailed(f"{reason}; {EXPECTED}")
