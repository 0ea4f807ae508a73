"""Static files storage whose URLs never fail a page.

WhiteNoise's ``CompressedManifestStaticFilesStorage`` raises ``ValueError`` from
``{% static %}`` when ``collectstatic`` has not run (or ran before a file was added), so
every HTML page answered 500, the 500 page included (it extends base.html). Here a name
missing from the manifest is hashed from the collected file when there is one (Django's
stock ``manifest_strict = False``), and otherwise served under its plain name with a
logged warning: the page answers 200, unstyled at worst, and the log says what to run.
"""

from __future__ import annotations

import logging

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class FallbackManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage, with ``url()`` falling back to the
    unhashed URL (``/static/<name>``) when neither the manifest nor STATIC_ROOT has the
    file, and ignoring an unreadable manifest. Warns once per name per process."""

    manifest_strict = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._warned: set[str] = set()

    def load_manifest(self):
        try:
            return super().load_manifest()
        except ValueError as exc:
            # An unreadable staticfiles.json would fail the storage, so every page.
            logger.warning("ignoring the static files manifest: %s", exc)
            return {}, ""

    def url(self, name, force=False):
        try:
            return super().url(name, force)
        except ValueError as exc:
            if name not in self._warned:
                self._warned.add(name)
                logger.warning(
                    "static file %r is not collected (%s); serving its unhashed URL: "
                    "run `python manage.py collectstatic`",
                    name,
                    exc,
                )
            return FileSystemStorage.url(self, name)
