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

# Installs only when pyproject.toml or the C source it builds changed (stamp = their SHA-256),
# with uv when present (`pip install uv` first otherwise; it is much faster), quietly.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml codes/_cbase32.c 2>/dev/null | sha256sum | cut -c1-16)

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	@echo "installing dependencies into $(VENV) (once per change of pyproject.toml or the C source)"
	@if ! $(PY) -m uv --version >/dev/null 2>&1; then \
	  $(PY) -m pip install --quiet --disable-pip-version-check uv 2>/dev/null || true; fi
	@if $(PY) -m uv --version >/dev/null 2>&1; then \
	  VIRTUAL_ENV=$(VENV) $(PY) -m uv pip install --quiet --python $(PY) \
	    --reinstall-package healthcode -e '.[dev,embedded]'; \
	else \
	  out=$$($(PY) -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
	    -e '.[dev,embedded]' 2>&1) || { echo "$$out"; exit 1; }; \
	  echo "$$out" | grep -v -i -e 'warning' -e 'notice' -e '^ *$$' || true; \
	fi
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

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
