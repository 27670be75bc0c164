# 楼宇招商通 — every target bootstraps .venv itself, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test bench install clean-db

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/crm db upgrade
	$(BIN)/crm demo load --if-empty
	$(BIN)/crm demo logins
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.pages --scale 10

clean-db:
	rm -f instance/crm.db instance/crm.db-wal instance/crm.db-shm
