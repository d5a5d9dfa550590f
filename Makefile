# Healthcode: `make run` starts the service on embedded defaults; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The suite runs once against these real services (when reachable) and once embedded.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
CHECK_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/healthcode_migration_check

.PHONY: install run test lint typecheck test-services test-embedded migrations-check bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,embedded]'
	touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) $(PY) -m app.devserver

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

migrations-check: install
	bash .ci/services.sh
	@if bash .ci/services.sh --check-postgres; then \
	  psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS healthcode_migration_check' && \
	  psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE healthcode_migration_check' && \
	  $(VENV)/bin/alembic -x url=$(CHECK_DATABASE_URL) upgrade head && \
	  $(VENV)/bin/alembic -x url=$(CHECK_DATABASE_URL) check; \
	else echo "PostgreSQL not reachable: migration check on SQLite only"; fi
	rm -f /tmp/healthcode-migration-check.db
	$(VENV)/bin/alembic -x url=sqlite:////tmp/healthcode-migration-check.db upgrade head
	$(VENV)/bin/alembic -x url=sqlite:////tmp/healthcode-migration-check.db check
	rm -f /tmp/healthcode-migration-check.db

test-services: install
	bash .ci/services.sh
	@if bash .ci/services.sh --check; then \
	  echo "== tests on PostgreSQL and Redis at 127.0.0.1 =="; \
	  HEALTHCODE_TEST_DATABASE_URL=$(TEST_DATABASE_URL) HEALTHCODE_TEST_REDIS_URL=$(TEST_REDIS_URL) \
	    $(VENV)/bin/pytest -q; \
	else echo "PostgreSQL/Redis not reachable: skipping the run on real services"; fi

test-embedded: install
	@echo "== tests on SQLite and an embedded Redis =="
	env -u HEALTHCODE_TEST_DATABASE_URL -u HEALTHCODE_TEST_REDIS_URL $(VENV)/bin/pytest -q

test: install lint typecheck migrations-check test-services test-embedded

bench: install
	$(PY) bench/codes.py --quick

clean:
	rm -rf $(VENV) instance .mypy_cache .ruff_cache .pytest_cache
