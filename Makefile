# Mesa de Ayuda: every target installs what it needs (Python venv, npm packages) on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
NPM_STAMP := node_modules/.stamp-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
export MESA_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: demo test lint typecheck bench postgres chromium install clean

VENDOR_STAMP := web/static/vendor/.stamp

install: $(PY_STAMP) $(NPM_STAMP) $(VENDOR_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.stamp-* && touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -f node_modules/.stamp-* && touch $@

# The form-js and bpmn-js viewers, served by the web app from its own origin.
$(VENDOR_STAMP): $(NPM_STAMP) tools/vendor_assets.py
	$(PYTHON) tools/vendor_assets.py >/dev/null
	touch $@

## demo: the web application with demo data on SQLite (instance/mesa.db), its scheduler and a local mail sink
demo: install
	$(BIN)/mesa-ayuda serve --demo

postgres:
	@tools/ensure-postgres.sh

# Browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Instalando chromium (Debian) para las pruebas de navegador..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check engine web tests tools

typecheck: install
	$(BIN)/mypy

## test: the whole suite (lint, types, unit, workflow, integration on SQLite and PostgreSQL, BPMN lint)
test: install postgres chromium lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python -m tests.bench.bench_lifecycle

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
