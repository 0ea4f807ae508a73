# The two commands people use are `make run` and `make test`; both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
STAMP := $(VENV)/.requirements-installed

.PHONY: setup run worker scheduler test lint format migrate train check-deploy deploy-test bench clean

setup: $(STAMP)

# Reinstall only when a requirements file changes, so `make setup` is idempotent and quick.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# A local secret key for `make run`, written once; deployments set DJANGO_SECRET_KEY instead.
.env:
	@echo "DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "wrote .env with a new DJANGO_SECRET_KEY"

migrate: setup .env
	$(BIN)/python manage.py migrate --noinput

# Trains the bundled default model only when no version is in production.
train: migrate
	$(BIN)/python manage.py train_model --quick --if-none

# gunicorn with one batch-job worker and the scheduler (the dashboard's roll-ups, reports)
# beside it; the trap stops both with make run.
run: train
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	OMP_NUM_THREADS=1 $(BIN)/python manage.py batch_worker & worker=$$!; \
	$(BIN)/python manage.py run_schedule & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler' EXIT INT TERM; \
	PORT=$(PORT) WEB_CONCURRENCY=$(WEB_CONCURRENCY) OMP_NUM_THREADS=1 \
		$(BIN)/gunicorn -c gunicorn.conf.py studentperf.wsgi:application

# A batch-job worker (django-tasks' db_worker, restarted when the database stops it), after
# re-enqueueing jobs whose worker died. Start as many as you like, on any host that reaches the database.
worker: migrate
	$(BIN)/python manage.py batch_jobs_recover
	OMP_NUM_THREADS=1 $(BIN)/python manage.py batch_worker

# The periodic work (the database backend has no scheduler of its own): every minute,
# re-enqueue jobs whose worker died and roll up the dashboard's closed hours; every hour,
# record monitor_report's alerts. `make run` starts one; a deployment runs one.
scheduler: migrate
	$(BIN)/python manage.py run_schedule

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint .github/workflows/ci.yml

# Django's deployment checklist with the settings a TLS deployment uses; any warning fails.
check-deploy: setup
	DJANGO_DEBUG=0 DJANGO_SECURE=1 DJANGO_BEHIND_TLS_PROXY=1 \
	DJANGO_ALLOWED_HOSTS=studentperf.example.org \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# Builds the image with podman and runs docker-compose.yml's topology (PostgreSQL, Redis,
# migrate, 2 web, nginx on 127.0.0.1:18080) with the deployment and fault tests against
# it; removes what it started at the end. Root, with Debian's podman, runc, debootstrap.
deploy-test: setup
	deploy/podman/deploy-test.sh

# The benchmarks of README's Benchmarks section (several minutes on 2 cores).
bench: setup
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/threads.py

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
