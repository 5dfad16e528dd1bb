# Two commands: `make run` (install, load the demo data, serve the demo shop with the chat
# widget) and `make test` (install dev tools and a headless Chromium for the browser tests,
# run ruff, mypy, import contracts and the tests).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOME ?= .tactful-demo
HOST ?= 127.0.0.1
PORT ?= 8000
# The browser tests drive the system's Chromium; no browser is downloaded.
CHROMIUM := /usr/bin/chromium

.PHONY: run demo test install dev lint typecheck pytest bench bench-scale clean intent-model

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

# Loads the demo data (the terminal walk-through runs unattended), then serves the demo shop.
run: install
	$(BIN)/tactful demo --home $(DEMO_HOME) < /dev/null
	@echo "Demo shop with the chat widget: http://$(HOST):$(PORT)/"
	$(BIN)/tactful serve --demo --home $(DEMO_HOME) --host $(HOST) --port $(PORT)

# `tactful demo` alone: the interactive walk-through in the terminal.
demo: install
	$(BIN)/tactful demo --home $(DEMO_HOME)

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: dev $(CHROMIUM)
	$(BIN)/pytest

test: lint typecheck pytest

bench: dev
	$(BIN)/tactful eval all

# Refit the reader's intent model after changing its example phrasings or the labelled
# development utterances (never the held-out ones); the tests fail on a stale model.
intent-model: install
	$(BIN)/python -m agent.brain.offline.training tests/conversation/utterances/dev*.jsonl

bench-scale: dev
	$(BIN)/python -m bench.speed.run --scale

clean:
	rm -rf $(VENV) $(DEMO_HOME) .mypy_cache .pytest_cache .ruff_cache tests/browser/artifacts
