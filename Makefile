# Mesa de Ayuda: every target installs what it needs (Python venv, npm packages) on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.stamp-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
NPM_STAMP := node_modules/.stamp-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
export MESA_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: demo test lint typecheck unit bench postgres install clean

install: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.stamp-* && touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -f node_modules/.stamp-* && touch $@

## demo: the application with demo data on SQLite (instance/mesa.db)
demo: install
	$(BIN)/mesa-ayuda init --demo
	@echo
	@echo "Pruebe el proceso desde la terminal, por ejemplo:"
	@echo "  $(BIN)/mesa-ayuda casos reportar --como solicitante --datos '{\"mesa\":\"ti\",\"aplicacion\":\"SISCONPES\",\"tipo\":\"incidencia\",\"asunto\":\"No carga el tablero\",\"descripcion\":\"Aparece un error 500 al ingresar\",\"canal\":\"portal\",\"contacto\":\"sofia@example.org\"}'"
	@echo "  $(BIN)/mesa-ayuda tareas listar --como nivel1"
	@echo "El planificador (temporizadores y correo) queda corriendo; Ctrl+C para salir."
	$(BIN)/mesa-ayuda scheduler

postgres:
	@tools/ensure-postgres.sh

lint: install
	$(BIN)/ruff check engine web tests tools

typecheck: install
	$(BIN)/mypy

## test: the whole suite (lint, types, unit, workflow, integration on SQLite and PostgreSQL, BPMN lint)
test: install postgres lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python -m tests.bench.bench_lifecycle

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
