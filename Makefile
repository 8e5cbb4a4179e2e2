# Osservatorio — `make run` sets everything up and serves the API; `make test` runs the tests.
# DATABASE_URL unset = a project-local PostgreSQL 15 + PostGIS cluster (see README).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OBS := $(VENV)/bin/observatory
STAMP := $(VENV)/.installed-stamp
APT_DB := postgresql-15 postgresql-15-postgis-3
APT_TEST := chromium gdal-bin
VENDOR := maps/static/vendor
MAPS_OUT := out/maps

.PHONY: run test test-fast install db db-stop migrate geography services analysis maps maps-assets bench lint help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || scripts/ensure-apt.sh python3-venv
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV) || { scripts/ensure-apt.sh python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP) $(VENDOR)/.complete  ## create the virtualenv and install the project

$(VENDOR)/.complete: maps/vendor.txt  # each line: package@version, then the paths it needs
	@command -v npm >/dev/null || scripts/ensure-apt.sh nodejs npm
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	while read -r spec paths; do \
	  name=$${spec%@*}; tgz=$$(cd $(VENDOR) && npm pack --silent "$$spec" | tail -n 1) && \
	  mkdir -p $(VENDOR)/$$name && \
	  tar -xzf $(VENDOR)/$$tgz -C $(VENDOR)/$$name --strip-components=1 package/package.json \
	    $$(for p in $$paths; do printf 'package/%s ' "$$p"; done) && \
	  rm -f $(VENDOR)/$$tgz || exit 1; \
	done < maps/vendor.txt
	touch $@

maps-assets: $(VENDOR)/.complete  ## fetch Leaflet and its plugins from the npm registry (offline maps)

db: install  ## start the local PostGIS cluster (no-op when DATABASE_URL is set)
	@if [ -z "$$DATABASE_URL" ]; then scripts/ensure-apt.sh $(APT_DB); fi
	$(OBS) db start

db-stop: install  ## stop the local cluster
	$(OBS) db stop

migrate: db  ## apply the migrations
	$(OBS) db upgrade

geography: migrate  ## load the ISTAT geography, population, areas and categories (once)
	$(OBS) geo load --if-missing

services: geography  ## ingest the example survey (fictitious services, data/sample)
	$(OBS) ingest data/sample/servizi_esempio.csv --source esempio --report out/servizi_esempio.rejections.csv

analysis: services  ## compute the default analyses (every category, 20 km), stored as runs
	$(OBS) analyze defaults --catchment-km 20

maps: analysis  ## render the coverage and gap maps of the five regions into out/maps
	$(OBS) maps render --all --out-dir $(MAPS_OUT)

run: maps  ## set everything up, render the maps and serve the API on http://127.0.0.1:8000
	$(OBS) serve

test: db  ## set up what the tests need, then run them
	@scripts/ensure-apt.sh $(APT_TEST)
	$(PY) -m pytest

test-fast: install  ## the tests that need no database, server or browser, and are not slow (under 30 s)
	$(PY) -m pytest -q -m "not db and not server and not browser and not slow"

bench: geography  ## run the benchmarks and print the figures
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run.py

lint: install  ## ruff
	$(VENV)/bin/ruff check .
