"""Settings for the test suite: the real settings, with DEBUG off and a throwaway key."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123")
os.environ.setdefault("DJANGO_DEBUG", "0")

from studentperf.settings import *  # noqa: E402, F403

# No collectstatic before tests: serve from the finders, without a manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
