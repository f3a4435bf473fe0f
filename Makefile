# labkit: the database & cache performance lab. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
JUPYTER_ARGS ?=
GATE_STUDY_ARGS ?=

.PHONY: help lab lab-tiny test bench gate-study jupyter services-up services-down check-reports browser nginx pooler lint unasync clean

help: ## List the targets with one line each
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "labkit needs Python >= 3.10, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,app,load,bench,dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name labkit --display-name "Python (labkit)" >/dev/null
	@touch $(STAMP)

lab: $(STAMP) ## Run every experiment notebook and write reports/index.html (embedded servers unless *_URL is set)
	$(BIN)/labkit report

lab-tiny: $(STAMP) ## Run every notebook with its tiny parameters: a quick check that all run and render (CI does)
	$(BIN)/labkit report --tiny

test: $(STAMP) ## Run the test suite against real PostgreSQL, Redis and SQLite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## Print same-run speed ratios of labkit against raw drivers and other libraries
	$(BIN)/labkit bench

gate-study: $(STAMP) ## Measure labkit compare here: false alarms over 20 A/A pairs, smallest slowdown caught
	$(BIN)/python -m labkit.lab.bench.gate_study $(GATE_STUDY_ARGS)

jupyter: $(STAMP) ## Open JupyterLab on notebooks/ (headless and root welcome; JUPYTER_ARGS passed on); stops the servers it started
	@$(BIN)/python -c 'import jupyterlab' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[jupyter]'
	$(BIN)/labkit jupyter -- $(JUPYTER_ARGS)

services-up: $(STAMP) ## Start the embedded PostgreSQL and Redis (reused by every notebook)
	$(BIN)/labkit services up

services-down: $(STAMP) ## Stop the embedded servers
	$(BIN)/labkit services down

check-reports: $(STAMP) ## Open reports/index.html and every report in headless Chromium and check them
	$(BIN)/labkit check-reports

browser: ## Install Debian's Chromium for the browser check (needs root and apt)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

nginx: ## Install Debian's nginx for the caching proxy in front of the demo service (needs root and apt)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }
pooler: ## Install Debian's PgBouncer for the pooler tests and measurements (needs root and apt)
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; }

lint: $(STAMP) ## Check style with ruff, the library with mypy --strict, the lab with mypy
	$(BIN)/ruff check labkit tests
	$(BIN)/mypy --strict labkit/__init__.py labkit/errors.py labkit/settings.py labkit/secrets.py labkit/db labkit/monitor labkit/cache
	$(BIN)/mypy labkit/lab

unasync: $(STAMP) ## Regenerate the sync cache code from its asyncio source
	$(BIN)/python -m labkit.lab.devtools.unasync

clean: ## Stop embedded servers; remove the venv and everything generated: results, history, reports, builds, caches
	-@test -x $(BIN)/labkit && $(BIN)/labkit services down
	rm -rf $(VENV) data/results data/history data/noise data/gate-study data/services data/*.sqlite3* logs build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
	-find reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
