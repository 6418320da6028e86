# Every target installs what it needs first, so `make run` and `make test`
# work on a fresh machine with only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SRC := src tests bench examples scripts
CLIENT := clients/typescript
# Node packages are installed by `npm ci` only when node_modules was not installed from
# the current lock file (the tests keep the same stamp: tests/support/node.py).
NPM_CI = { [ "$$(cat node_modules/.todo-core-lock.sha256 2>/dev/null)" = "$$(sha256sum package-lock.json | cut -d' ' -f1)" ] \
	|| { npm ci --no-audit --no-fund --loglevel=error && sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.todo-core-lock.sha256; }; }

.DEFAULT_GOAL := help
.PHONY: help install run test test-tools bench-tools client lint fmt lock bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the locked dependencies

run: install ## write .env once, migrate, serve the API on 127.0.0.1:8000 (SQLite by default)
	$(BIN)/todo dev --host 127.0.0.1 --port 8000

test: install ## run the whole test suite (PostgreSQL tests need a server or pg_ctl)
	@$(MAKE) --no-print-directory test-tools
	$(BIN)/python -m pytest

test-tools: ## install the Debian packages some tests need, when missing (pgbouncer, chromium)
	@missing=""; \
	{ command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer; } || missing="$$missing pgbouncer"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian packages:$$missing"; \
	  { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } \
	    || echo "warning: could not install$$missing; their tests skip (and fail under CI=true)"; \
	fi

client: install ## regenerate the TypeScript client's types from the API (after a route change)
	cd $(CLIENT) && $(NPM_CI)
	$(BIN)/python scripts/typescript_client.py
	cd $(CLIENT) && node_modules/.bin/tsc --noEmit -p .

bench: install ## the service against an honest floor at 16 and 64 connections (~22 min; BENCH_ARGS=--quick)
	@command -v wrk >/dev/null 2>&1 || $(MAKE) --no-print-directory bench-tools
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-tools: ## install wrk (Debian package), the benchmark's load generator
	@sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null

lint: install ## ruff, mypy strict and the import contracts
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: install ## format and autofix
	$(BIN)/ruff format $(SRC)
	$(BIN)/ruff check --fix $(SRC)

lock: ## re-pin requirements.lock from pyproject.toml
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^todo-core' > requirements.lock
	rm -rf .lock-venv

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
