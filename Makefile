# Everything installs into ./.venv from uv.lock; only python3 and make are needed up front.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Interpreters come from this machine only; uv must never download one.
export UV_PYTHON_DOWNLOADS := never
PYTEST_ARGS ?=
# pytest-xdist workers for `make check`: one per core (its slow tests build and load).
TEST_WORKERS ?= auto
# `make test`'s tests mostly wait on servers, deadlines and sockets: two workers per core.
FAST_TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(2 * (os.cpu_count() or 1))')
# What CI runs with: a test whose server or tool is missing fails instead of skipping.
REQUIRE_EVERYTHING := REQUIRE_POSTGRES=1 REQUIRE_PGBOUNCER=1 REQUIRE_CONTAINER=1 \
	REQUIRE_BROWSER=1 REQUIRE_PACKAGING=1 REQUIRE_REFERENCE_CLIENT=1
# The plans target Python 3.13: `make check` runs `make test` on it too, where it is installed.
PYTHON313 = $(shell for candidate in python3.13 \
	"$$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.13*/bin/python3.13; do \
	"$$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 \
	&& { echo "$$candidate"; break; }; done)

.PHONY: install run test check lint migrate openapi bench bench-quick bench-instructions clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

## run: start the API on http://127.0.0.1:8000 (docs at /docs), embedded SQLite unless DATABASE_URL is set
run: install
	$(VENV)/bin/todo-api serve

## test: after a change (~2 min): unit, database and system tests without the slow ones, on SQLite,
##   PostgreSQL and PgBouncer when reachable (TEST_DATABASE_URL), in parallel
# Its tests build nothing in place (no image, wheel or Next.js build), so they are dealt to the
# workers one by one, which balances better than whole modules (pyproject's loadscope).
test: install
	$(VENV)/bin/pytest -m "not slow" -n $(FAST_TEST_WORKERS) --dist load --no-cov $(PYTEST_ARGS)

## check: what CI runs (~10 min): lint, types, every test with the slow ones (image, browser,
##   Next.js client, wheel, outage, load, fuzzing), no tool missing; then `make test` on Python 3.13
check: lint
	$(REQUIRE_EVERYTHING) $(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	@python313="$(PYTHON313)"; if [ -n "$$python313" ]; then \
		echo "== make test again on $$($$python313 --version)"; \
		$(REQUIRE_EVERYTHING) $(MAKE) test PYTHON="$$python313" VENV=.venv-3.13 \
			PYTEST_ARGS="-p no:cacheprovider"; \
	else \
		echo "== Python 3.13 is not installed here: the suite ran on $$($(PYTHON) --version) only"; \
	fi

## lint: ruff (lint and format) and mypy strict
lint: install
	$(VENV)/bin/ruff check backend
	$(VENV)/bin/ruff format --check backend
	$(VENV)/bin/mypy

migrate: install
	$(VENV)/bin/todo-api migrate

## openapi: regenerate the committed contract after a deliberate API change
openapi: install
	$(VENV)/bin/todo-api openapi > specs/contracts/openapi.json

## bench: project vs raw-driver baseline on a local PostgreSQL (~14 min; results in specs/performance.md)
bench: install
	PYTHONPATH=backend $(VENV)/bin/python -m benchmarks.run

bench-quick: install
	PYTHONPATH=backend $(VENV)/bin/python -m benchmarks.run --quick

## bench-instructions: instructions per request (get, put, create, toggle, list10) under callgrind (~10 min)
bench-instructions: install
	PYTHONPATH=backend $(VENV)/bin/python -m benchmarks.instructions

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
