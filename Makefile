# Two commands: `make run` (embedded default: server + worker + beat) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/koodtx_test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: setup run test test-sqlite test-postgres test-system lint format

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: setup
	$(BIN)/flask --app run init-db
	./scripts/run_all.sh

# The whole suite, twice: on the embedded default (SQLite + SQLAlchemy broker) and on
# PostgreSQL + Redis; then the system tests (docs/RELIABILITY.md).
test: test-sqlite test-postgres test-system

test-sqlite: setup
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL -u TEST_BROKER_URL \
		$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup
	TEST_DATABASE_URL=$(PG_TEST_URL) TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest $(PYTEST_ARGS)

# The running system (gunicorn, Celery worker and Beat) on private PostgreSQL and Redis servers
# it starts, stops and kills itself (never the shared ones): about 6 minutes on 2 cores.
test-system: setup
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL -u TEST_BROKER_URL SYSTEM_TESTS=1 \
		$(BIN)/pytest tests/system $(PYTEST_ARGS)

# ruff, then the import rules of ARCHITECTURE.md (import-linter contracts in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
