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

.PHONY: install run test lint migrate openapi bench bench-quick bench-instructions clean

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

## test: the whole suite, SQLite always and PostgreSQL when reachable (TEST_DATABASE_URL)
test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

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
