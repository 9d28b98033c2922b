# Two commands: `make demo` sets everything up and runs Hotline Flow with demo data;
# `make test` runs the whole test suite. Both create the virtual environment when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: setup demo serve test lint typecheck bench

$(BIN)/hotline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

VENDOR := webforms/static/vendor
FRONTEND_SOURCES := frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*.js)

# bpmn-js, its properties panel and the signature pad come from the npm registry and are bundled
# into webforms/static/vendor (ignored by git), so no other project's code is kept in the repository.
$(VENDOR)/hotline-viewer.js: $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $@

setup: $(BIN)/hotline $(VENDOR)/hotline-viewer.js

demo: setup
	$(BIN)/hotline demo
	$(BIN)/hotline serve --port $(PORT)

serve: setup
	$(BIN)/hotline serve --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# mypy over engine/ (configured in pyproject.toml); it needs the Python packages, not the frontend.
typecheck: $(BIN)/hotline
	$(BIN)/mypy

test: setup
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n auto

bench: setup
	$(BIN)/python -m bench.engine_bench
