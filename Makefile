# Two commands matter: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The OpenID Connect provider the single sign-on tests sign in through.
SSO_PROVIDER := tests/sso/provider
SSO_STAMP := $(SSO_PROVIDER)/node_modules/.installed
PYTEST_WORKERS ?= 2

.PHONY: run test lint typecheck pytest pytest-sqlite pytest-postgres reliability-heavy bench install clean

# make run is a local development setup: debug mode, SQLite under ./var, the demo
# portfolio, and one command serving the site with a task worker beside it.
RUN_HOST := 127.0.0.1
RUN_PORT := 8000

run: export SCORECARDS_DEBUG = true
run: $(STAMP)
	$(BIN)/scorecards migrate
	$(BIN)/scorecards demo
	@login="$$($(BIN)/scorecards demo-login)" && \
	printf '\nScorecards: http://%s:%s/\n%s\n\n' $(RUN_HOST) $(RUN_PORT) "$$login"
	exec $(BIN)/scorecards serve --host $(RUN_HOST) --port $(RUN_PORT)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: pytest-sqlite pytest-postgres

pytest-sqlite: $(STAMP) $(SSO_STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --database=sqlite

pytest-postgres: $(STAMP) $(SSO_STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --database=postgres

# The long part of the reliability suite (docs/reliability.md); CI runs it too.
reliability-heavy: export SCORECARDS_HEAVY_TESTS = 1
reliability-heavy: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/reliability --database=sqlite
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests/reliability --database=postgres

bench: $(STAMP)
	$(BIN)/python bench/offline_score.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/daily_points.py
	$(BIN)/python bench/csv_import.py
	$(BIN)/python bench/backfill.py
	$(BIN)/python bench/scoring_vs_duckdb.py
	$(BIN)/python bench/portfolio_page.py

install: $(STAMP)

$(STAMP): pyproject.toml
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Creating $(VENV) with $$python"; \
		rm -rf $(VENV) && "$$python" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Without npm the single sign-on tests skip, saying why (and fail the run in CI).
$(SSO_STAMP): $(SSO_PROVIDER)/package-lock.json
	@if ! command -v npm >/dev/null; then \
		echo "npm not found: the single sign-on tests will be skipped"; exit 0; fi; \
	cd $(SSO_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error && \
	touch node_modules/.installed

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
