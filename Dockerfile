# studentperf image: gunicorn serving the Django site, static files collected at build time.
#   docker build -t studentperf .
#   docker compose run --rm migrate      # once per release: migrations + first model
#   docker compose up -d --scale web=3   # PostgreSQL, 3 web containers, nginx on :8080
# Migrations are a separate command (the compose "migrate" service), never part of a web
# container's start, so N containers starting together do not race to migrate.

ARG PYTHON_VERSION=3.11

# --- build: the pinned runtime requirements (requirements.txt, which `make setup`
# installs too, via requirements-dev.txt) in a virtualenv that the runtime stage copies
# whole: no wheel files left behind in a layer. Every pin ships a manylinux wheel, so no
# compiler or apt package is needed.
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.txt .
# Then out of the virtualenv what nothing imports at run time (about 300 MB):
# - plotly and matplotlib (with matplotlib's fonts, images and contours): catboost
#   requires them for its plotting helpers only, which import them lazily; nothing here
#   plots (deploy/podman/check_catboost.py trains and predicts with catboost without them);
# - the libraries' own test suites (pandas' alone is 46 MB);
# - pip and setuptools: the base image has its own pip.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install -r requirements.txt \
    && /opt/venv/bin/python -m pip uninstall -y \
        plotly matplotlib contourpy cycler fonttools kiwisolver pillow pyparsing \
    && find /opt/venv/lib -type d -name tests -prune -exec rm -rf {} + \
    && /opt/venv/bin/python -m pip uninstall -y pip setuptools

# --- runtime: slim Python, the virtualenv, the code, a non-root user.
FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_DEBUG=0 \
    PORT=8000 \
    BIND=0.0.0.0:8000 \
    WEB_CONCURRENCY=2 \
    OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root: the app user can read it, not change it. /app/data is
# the one writable place, for a SQLite database when no DATABASE_URL is given
# (DATABASE_URL=sqlite:////app/data/db.sqlite3 with a volume there).
COPY . .
RUN mkdir -p /app/data && chown app:app /app/data
# Settings need a key to import; this one exists only for the collectstatic step.
RUN DJANGO_SECRET_KEY=collectstatic-only-never-used-at-run-time \
    python manage.py collectstatic --noinput --verbosity 0
USER 10001:10001
EXPOSE 8000
# /healthz answers 200 while the process lives; DJANGO_ALLOWED_HOSTS must include
# 127.0.0.1 for this probe (docker-compose.yml sets it).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "studentperf.wsgi:application"]
