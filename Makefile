# Osservatorio — `make run` sets everything up and serves the API; `make test` runs the tests.
# DATABASE_URL unset = a project-local PostgreSQL 15 + PostGIS cluster (see README).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OBS := $(VENV)/bin/observatory
STAMP := $(VENV)/.installed-stamp
APT_DB := postgresql-15 postgresql-15-postgis-3
APT_TEST := chromium gdal-bin

.PHONY: run test install db db-stop migrate geography bench lint clean-db help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || scripts/ensure-apt.sh python3-venv
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV) || { scripts/ensure-apt.sh python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)  ## create the virtualenv and install the project

db: install  ## start the local PostGIS cluster (no-op when DATABASE_URL is set)
	@if [ -z "$$DATABASE_URL" ]; then scripts/ensure-apt.sh $(APT_DB); fi
	$(OBS) db start

db-stop: install  ## stop the local cluster
	$(OBS) db stop

migrate: db  ## apply the migrations
	$(OBS) db upgrade

geography: migrate  ## load the ISTAT geography, population, areas and categories
	$(OBS) geo load

run: geography  ## set everything up and serve the API on http://127.0.0.1:8000
	$(OBS) serve

test: db  ## set up what the tests need, then run them
	@scripts/ensure-apt.sh $(APT_TEST)
	$(PY) -m pytest

bench: geography  ## run the benchmarks and print the figures
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run.py

lint: install  ## ruff
	$(VENV)/bin/ruff check .
