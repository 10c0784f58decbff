# Tenantry — every entry point a newcomer or CI needs. `make demo` and `make test` install what
# they need first (node_modules, the project Python venv with moto and cfn-lint, the Flink runner JAR,
# Debian's PostgreSQL 15 server for the local environment's databases).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
TSX         := node_modules/.bin/tsx
RUNNER_JAR  := flink/runner/target/tenantry-flink-runner.jar
# The local environment's PostgreSQL (local/postgres.ts starts a private server; nothing else uses it).
POSTGRES    := /usr/lib/postgresql/15/bin/postgres
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RESULTS     := .local/test-results
# Development runs on Node 20; Lambda runs Node 22. Silence the SDK's Node-version notice locally.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true

.PHONY: help install demo test lint typecheck unit integration cdk-check synth deploy workflows \
        local-up local-down flink-local flink-runner bench clean

help:
	@echo "make demo    - run the whole lifecycle on the local environment (moto + Flink)"
	@echo "make test    - lint, typecheck, unit, CDK checks, integration; ends with 'N passed, N failed'"
	@echo "make synth | deploy | workflows | local-up | local-down | flink-local | bench"

# --- installation ---------------------------------------------------------------------------------
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENV)/.installed: local/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r local/requirements.txt
	touch $@

$(RUNNER_JAR): flink/runner/pom.xml $(shell find flink/runner/src -type f 2>/dev/null)
	mvn -q -B -f flink/runner/pom.xml -DskipTests package

flink-runner: $(RUNNER_JAR)

$(POSTGRES):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql-15

install: node_modules/.installed $(VENV)/.installed $(RUNNER_JAR) $(POSTGRES)

# --- the main job ---------------------------------------------------------------------------------
demo: install
	$(TSX) demo/main.ts

# --- checks ---------------------------------------------------------------------------------------
lint: node_modules/.installed
	npx biome check .

typecheck: node_modules/.installed
	npx tsc --noEmit -p tsconfig.json

# cdk synth (offline) with cdk-nag as a gate, then cfn-lint over every template.
synth: node_modules/.installed
	rm -rf cdk.out
	npx cdk synth --quiet --output cdk.out > /dev/null

cdk-check: synth $(VENV)/.installed
	$(TSX) scripts/write-silo-template.ts cdk.out/silo-tenant.template.json
	$(TSX) scripts/write-accounts-config.ts cdk.out/accounts-config.json
	TENANTRY_CONFIG=cdk.out/accounts-config.json npx cdk synth --quiet --output cdk.out/accounts > /dev/null
	$(VENV)/bin/cfn-lint --format parseable -- cdk.out/*.template.json cdk.out/accounts/*.template.json

test: install
	rm -rf $(RESULTS) && mkdir -p $(RESULTS)/steps
	step() { local name=$$1; shift; echo "== $$name"; \
	  if "$$@" > $(RESULTS)/$$name.log 2>&1; then echo ok > $(RESULTS)/steps/$$name; \
	  else echo failed > $(RESULTS)/steps/$$name; tail -60 $(RESULTS)/$$name.log; fi; }
	step lint      npx biome check .
	step typecheck npx tsc --noEmit -p tsconfig.json
	step cdk-check $(MAKE) --no-print-directory cdk-check
	step java      mvn -q -B -f flink/runner/pom.xml test
	npx vitest run --silent=passed-only --reporter=dot --reporter=json --outputFile.json=$(RESULTS)/vitest.json || true
	$(TSX) scripts/test-summary.ts $(RESULTS)

# --- workflows, deploy ----------------------------------------------------------------------------
workflows: node_modules/.installed
	$(TSX) workflows/build.ts dist/workflows

deploy: install synth
	npx cdk deploy --all --app cdk.out

# --- local environment ----------------------------------------------------------------------------
local-up: node_modules/.installed $(VENV)/.installed
	$(TSX) cli/main.ts local up

local-down: node_modules/.installed
	$(TSX) cli/main.ts local down

# --- metering -------------------------------------------------------------------------------------
EVENTS ?=
OUT    ?= .local/flink-out
flink-local: install
	@test -n "$(EVENTS)" || { echo "usage: make flink-local EVENTS=<file.jsonl> OUT=<dir>"; exit 2; }
	$(TSX) flink/cli.ts run-local --events "$(EVENTS)" --out "$(OUT)"

# --- benchmarks -----------------------------------------------------------------------------------
bench: install
	mkdir -p bench/results
	for b in bench/*.bench.ts; do echo "== $$b"; $(TSX) $$b; done

clean:
	rm -rf cdk.out dist .local coverage bench/results flink/runner/target
