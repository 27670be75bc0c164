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

# Each benchmark loads the demo at --scale 10 once into its own cache under bench-results/ and
# reuses it afterwards (delete bench-results/ after changing the demo or the schema).
BENCHES = pages manage pipeline leads caches localisation warnings reports briefing reminders imports
bench: $(STAMP)
	set -e; for bench in $(BENCHES); do $(BIN)/python -m bench.$$bench --scale 10 $$( [ $$bench = imports ] || echo --reuse ); done

clean-db:
	rm -f instance/crm.db instance/crm.db-wal instance/crm.db-shm

# Load test: gunicorn + scheduler under locust, once on PostgreSQL (127.0.0.1:5432) and
# once on SQLite; 3 minutes each. LOADTEST_ARGS passes options, e.g. LOADTEST_ARGS="--duration 60".
LOADTEST_DATABASES ?= postgresql sqlite
LOADTEST_ARGS ?=
.PHONY: loadtest
loadtest: $(STAMP)
	$(BIN)/pip install --quiet -e '.[load]'
	set -e; for database in $(LOADTEST_DATABASES); do \
		$(BIN)/python -m bench.loadtest --database $$database $(LOADTEST_ARGS); done
