# CivicGrid: `make run` to try it, `make test` to check it. Everything lives in .venv/, node_modules/ and var/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings

.PHONY: run test lint typecheck bench install install-dev messages clean-db

# Installs are skipped when their lock file has not changed (stamp files in var/).
var/.installed-runtime: requirements.txt
	@mkdir -p var
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

var/.installed-dev: requirements-dev.txt requirements.txt
	@mkdir -p var
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ var/.installed-runtime

var/.installed-npm: package-lock.json
	@mkdir -p var
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: var/.installed-runtime var/.installed-npm
install-dev: var/.installed-dev var/.installed-npm

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_logins
	@echo "CivicGrid: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server and the task worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --no-reload & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

bench: install-dev
	$(PY) -m bench $(BENCH_ARGS)

messages: install-dev
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules
	$(PY) manage.py compilemessages --ignore=.venv

clean-db:
	rm -f var/civicgrid.sqlite3 var/civicgrid.sqlite3-wal var/civicgrid.sqlite3-shm
