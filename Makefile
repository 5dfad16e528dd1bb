# Two commands: `make run` (install, load the demo data, start the demo chat)
# and `make test` (install dev tools, run ruff, mypy, import contracts and the tests).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= .tactful-demo

.PHONY: run test install dev lint typecheck pytest bench bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/tactful demo --home $(DEMO_HOME)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: dev
	$(BIN)/pytest

test: lint typecheck pytest

bench: dev
	$(BIN)/tactful eval all

bench-scale: dev
	$(BIN)/python -m bench.speed.run --scale

clean:
	rm -rf $(VENV) $(DEMO_HOME) .mypy_cache .pytest_cache .ruff_cache
