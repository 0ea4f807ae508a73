"""Settings, all from the environment (and an optional ``.env`` file beside manage.py).

Variables: DJANGO_SECRET_KEY (required unless DJANGO_DEBUG=1), DJANGO_DEBUG,
DJANGO_ALLOWED_HOSTS (comma-separated), DATABASE_URL (default: SQLite file db.sqlite3),
REDIS_URL (cache for throttling; default: the database cache), THROTTLE_ANON,
THROTTLE_USER (DRF rates such as "120/min"), SERVING_REFRESH_SECONDS, BATCH_MAX_ROWS,
BATCH_MAX_BYTES, BATCH_SYNC_MAX_ROWS, BATCH_JOB_MAX_ROWS, BATCH_JOB_MAX_BYTES,
BATCH_JOB_CHUNK_ROWS, BATCH_JOB_STALE_SECONDS, EXPORT_MAX_ROWS, SQLITE_BUSY_TIMEOUT_SECONDS,
DJANGO_SECURE,
DJANGO_BEHIND_TLS_PROXY, DJANGO_HSTS_SECONDS, LOG_FORMAT, LOG_LEVEL. See README.md for
the full table.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
            "(`make run` writes one to .env for local use)"
        )
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG=1"
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "predictor",
]

MIDDLEWARE = [
    "studentperf.requestlog.RequestLogMiddleware",
    "studentperf.db.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "studentperf.csp.AdminInlineStylesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "studentperf.urls"
WSGI_APPLICATION = "studentperf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A relative path (sqlite:///db.sqlite3) is relative to the project directory, not to
    # wherever a command runs from: one file whatever the working directory.
    _sqlite_name = DATABASES["default"]["NAME"]
    if _sqlite_name and _sqlite_name != ":memory:" and not _sqlite_name.startswith("file:"):
        DATABASES["default"]["NAME"] = str(BASE_DIR / _sqlite_name)
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
    # BEGIN, so two writers queue on the busy timeout instead of failing with
    # "database is locked" when one upgrades a read transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=10),
            # temp_store=MEMORY keeps statement journals in memory: a write of one row
            # and its dozen index entries in a transaction journals about 20 pages, over
            # the 64 KiB at which SQLite spills them to a new file in /var/tmp (created,
            # written and unlinked on every prediction). wal_autocheckpoint=4000 pages
            # (a WAL of up to 16 MB) copies the log into the database a quarter as often
            # as SQLite's 1000: each copy waits for the disk twice (synchronous=NORMAL
            # syncs at checkpoints only), in the worker whose commit set it off, and
            # pages written again and again between copies are copied once. A write
            # bigger than that (a batch of 10,000 rows) grows the WAL file past it;
            # journal_size_limit cuts the file back to 32 MiB once the log restarts.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                " PRAGMA wal_autocheckpoint=4000; PRAGMA journal_size_limit=33554432;"
            ),
        }
    )
# Keep each worker's connection between requests (SQLite too: opening one and running the
# PRAGMAs above on every request cost a gunicorn worker several milliseconds each time).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            # Django's database cache; migration 0006 creates its table, so `migrate`
            # alone makes the whole schema.
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # One key per client per throttle: Django's default of 300 would cull a third
            # of the counts on every request once 300 clients had called within a minute.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's manifest storage, but a file missing from the manifest (no
    # collectstatic) gets its plain URL and a warning instead of failing every page.
    "staticfiles": {"BACKEND": "studentperf.staticfiles.FallbackManifestStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "studentperf.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Token first: a refused token then answers 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's TokenAuthentication, but a present header that is not "Token <key>" is
        # a 401 rather than anonymous.
        "studentperf.api.authentication.StrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [
        "studentperf.throttling.AnonRateThrottle",
        "studentperf.throttling.UserRateThrottle",
    ],
    # How many proxies' X-Forwarded-For entries to trust when telling clients apart.
    # 0 (direct) uses the socket's address: otherwise any client could pick a fresh
    # X-Forwarded-For per request and never be throttled. docker-compose sets 1 (nginx).
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studentperf.api.exceptions.exception_handler",
    # An unknown ?format= is a 400 naming the parameter, not DRF's bare 404.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "studentperf.api.negotiation.ContentNegotiation",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "studentperf API",
    "DESCRIPTION": "Predict a student's math score, with a 90% interval and the reasons.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Deep links put a link inside each operation's expand button, which screen readers
    # cannot reach (axe: nested-interactive); the docs read fine without them.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    # "Getting started" as the description, the token scheme offered first, and the 401
    # and 429 answers every operation can give (studentperf.api.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "studentperf.api.schema.postprocess_schema",
    ],
    # Two serializers show a version's status, and several a prediction's; one enum name each.
    "ENUM_NAME_OVERRIDES": {
        "PredictionStatusEnum": "predictor.models.Prediction.Status",
        "ModelVersionStatusEnum": "predictor.models.ModelVersion.Status",
        # One name for the seven feature names wherever a list of them appears.
        "FeatureNameEnum": "ml.schema.FEATURE_NAMES",
    },
}

# How often a web process checks which model version is in production (seconds).
SERVING_REFRESH_SECONDS = env.float("SERVING_REFRESH_SECONDS", default=2.0)
# Automatic rollback when a production version fails too often (registry.serving): more
# than AUTO_ROLLBACK_FAILURE_RATE of at least AUTO_ROLLBACK_MIN_ATTEMPTS attempts in the
# last AUTO_ROLLBACK_WINDOW_SECONDS. A version that cannot load or fails the canary
# rolls back at once.
AUTO_ROLLBACK_FAILURE_RATE = env.float("AUTO_ROLLBACK_FAILURE_RATE", default=0.2)
AUTO_ROLLBACK_MIN_ATTEMPTS = env.int("AUTO_ROLLBACK_MIN_ATTEMPTS", default=20)
AUTO_ROLLBACK_WINDOW_SECONDS = env.int("AUTO_ROLLBACK_WINDOW_SECONDS", default=300)
# The result page lists gender, race/ethnicity group, lunch and parental education as one
# combined, expandable line (issue 14); 1 lists every fact on its own. The API keeps all.
EXPLANATIONS_SHOW_BACKGROUND_FACTS = env.bool("EXPLANATIONS_SHOW_BACKGROUND_FACTS", default=False)
BATCH_MAX_ROWS = env.int("BATCH_MAX_ROWS", default=10_000)
# Rows in one history CSV export. A gunicorn sync worker streams about 10,000 rows a
# second here and is killed at GUNICORN_TIMEOUT (30 s) mid-file, which a browser saves as
# a short file without a word; past this the export is refused, saying to narrow it.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=200_000)
BATCH_MAX_BYTES = env.int("BATCH_MAX_BYTES", default=5 * 1024 * 1024)

# Batch jobs (issue 17). An upload of more than BATCH_SYNC_MAX_ROWS rows, or any upload
# sent with "Prefer: respond-async", is answered 202 and scored by a worker
# (`manage.py db_worker`, django-tasks' database backend) in chunks of BATCH_JOB_CHUNK_ROWS
# rows, each in its own transaction. Jobs take up to BATCH_JOB_MAX_ROWS rows and
# BATCH_JOB_MAX_BYTES bytes; more is refused with 413. A running job whose heartbeat is
# older than BATCH_JOB_STALE_SECONDS is taken to have lost its worker and is enqueued
# again by `manage.py batch_jobs_recover`.
BATCH_SYNC_MAX_ROWS = env.int("BATCH_SYNC_MAX_ROWS", default=5_000)
BATCH_JOB_MAX_ROWS = env.int("BATCH_JOB_MAX_ROWS", default=200_000)
BATCH_JOB_MAX_BYTES = env.int("BATCH_JOB_MAX_BYTES", default=64 * 1024 * 1024)
BATCH_JOB_CHUNK_ROWS = env.int("BATCH_JOB_CHUNK_ROWS", default=1_000)
BATCH_JOB_STALE_SECONDS = env.int("BATCH_JOB_STALE_SECONDS", default=120)
DATA_UPLOAD_MAX_MEMORY_SIZE = BATCH_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = BATCH_MAX_BYTES + 1024 * 1024

# The standard tasks API (django.tasks in Django 6; the django-tasks backport here) on its
# database backend: workers claim jobs from a table in the database we already have.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Deployment over HTTPS. DJANGO_SECURE=1 makes cookies HTTPS-only, redirects HTTP to HTTPS
# and sends HSTS; DJANGO_BEHIND_TLS_PROXY=1 trusts X-Forwarded-Proto from the proxy that
# terminates TLS (set it only when such a proxy strips the header from clients).
SECURE = env.bool("DJANGO_SECURE", default=False)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
# Health probes come from inside the network over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=SECURE)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=SECURE)
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Only our own static files: no inline script or style, no CDN, no framing.
# The API docs page adds the hash of its one inline <style> (predictor/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One JSON object per line on stdout (LOG_FORMAT=plain for reading in a terminal), each
# with the id of the request it belongs to.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "studentperf.requestlog.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # 4xx answers are in the request lines already; keep django.request for 5xx.
    "loggers": {"django.request": {"level": "ERROR"}},
}
