# Counterpoint — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# Both cores: module-scoped fixtures (live server, browser) stay on one worker.
PYTEST_ARGS ?= -n 2 --dist loadscope
# Branch coverage of app/ (config in pyproject.toml), reported once, by the SQLite run, which
# runs every test; `make test COV_ARGS=` skips it (it costs ~1.5-2x on CPU-bound tests).
COV_ARGS ?= --cov --cov-branch --cov-report=term:skip-covered
export COUNTERPOINT_ENV ?= development

.DEFAULT_GOAL := help
.PHONY: help install run db demo test test-sqlite test-postgres lint fmt bench bench-quick bench-live scaleout check check-api check-reliability clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the app with its dev tools

db: install ## Bring the database to the current schema
	$(FLASK) db upgrade

demo: db ## Load the bundled demo article (idempotent)
	$(FLASK) demo load

run: demo ## Start the app on SQLite with the demo article, at http://$(HOST):$(PORT)/
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install ## Run the whole suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS) $(COV_ARGS) -m 'not reliability'
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		$(BIN)/pytest $(PYTEST_ARGS) -m 'not browser and not reliability'; \
	fi

check-reliability: install ## Load, kill -9 and database-outage checks on a real gunicorn (< 5 min)
	$(BIN)/pytest -m reliability -s -p no:cacheprovider tests/reliability

# The suite runs schemathesis with a fixed seed; this is the same run with a random one and more
# examples. API_CHECK_SEED=N replays a seed it printed; API_CHECK_EXAMPLES sets the examples.
API_CHECK_EXAMPLES ?= 40
check-api: install ## A long schemathesis run with a random seed, on SQLite (and PostgreSQL if TEST_DATABASE_URL)
	env -u TEST_DATABASE_URL API_CHECK_SEED="$(API_CHECK_SEED)" API_CHECK_EXAMPLES=$(API_CHECK_EXAMPLES) \
		$(BIN)/pytest -s -q -p no:cacheprovider tests/security/test_schemathesis.py
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		API_CHECK_SEED="$(API_CHECK_SEED)" API_CHECK_EXAMPLES=$(API_CHECK_EXAMPLES) \
			$(BIN)/pytest -s -q -p no:cacheprovider tests/security/test_schemathesis.py; \
	fi

test-sqlite: install ## Run the suite on SQLite only
	env -u TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff (lint + format check) and bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r app

fmt: install ## Format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install ## Measure throughput and latency under gunicorn, SQLite then PostgreSQL (writes bench/results.md, bench/live_results.md)
	$(BIN)/python -m bench.run --database sqlite
	$(BIN)/python -m bench.run --database postgresql
	$(BIN)/python -m bench.live_idle
	$(BIN)/python -m bench.insight

bench-quick: install ## A short benchmark run on SQLite (about a minute)
	$(BIN)/python -m bench.run --quick

bench-live: install ## What 1,000 idle live readers cost gunicorn (writes bench/live_results.md)
	$(BIN)/python -m bench.live_idle

scaleout: install ## PostgreSQL, Redis, 2 app instances behind nginx's cache: measured (~3 min, bench/results.md)
	$(BIN)/python -m bench.scaleout

check: lint test check-api ## Everything CI checks, and the long API check

clean: ## Remove the virtualenv, caches and the development database
	rm -rf $(VENV) .pytest_cache .ruff_cache instance/counterpoint.sqlite3*
