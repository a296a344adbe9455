# CivicGrid: `make run` to try it, `make test` to check it. Everything lives in .venv/, node_modules/ and var/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings

.PHONY: run test lint typecheck bench install install-dev messages clean-db

# Installs are skipped when their lock file has not changed. The stamps live inside what they stamp
# (.venv/, node_modules/), so deleting either folder brings a fresh install.
$(VENV)/.installed-runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-runtime

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed-runtime node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_logins
	@echo "CivicGrid: http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, the task worker and the scheduler)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --no-reload & \
	  $(PY) manage.py scheduler & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, browser tests included (Debian's chromium at /usr/bin/chromium and the npm packages;
# .ci/run installs both). Without a browser: make test PYTEST_ARGS='-m "not browser"'.
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
