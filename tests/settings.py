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

# Hashing a password the production way costs a second per user on a busy machine.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Two suites on one PostgreSQL server at once (parallel worktrees) each need their own
# test database; Django's default name is "test_" + NAME.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}  # noqa: F405
