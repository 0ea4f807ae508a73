# The two commands people use are `make run` and `make test`; both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
STAMP := $(VENV)/.requirements-installed

.PHONY: setup run test lint format migrate train check-deploy bench clean

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
	$(BIN)/python manage.py createcachetable

# Trains the bundled default model only when no version is in production.
train: migrate
	$(BIN)/python manage.py train_model --quick --if-none

run: train
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn studentperf.wsgi:application \
		--bind 127.0.0.1:$(PORT) --workers $(WEB_CONCURRENCY) --access-logfile -

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
