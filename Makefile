# cartflow: every command a developer or CI runs. `make help` lists them.
# Each target bootstraps .venv from the hash-pinned lock, so a fresh clone needs only Python 3.13.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.13
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The local runtime's own small venv: packaging and `make demo/local/invoke` need only this.
RUN_VENV ?= .venv-local
RUN_PY := $(RUN_VENV)/bin/python
FUNCTIONS := $(patsubst functions/%/app.py,%,$(wildcard functions/*/app.py))
# Byte-code is compiled on first import of what runs, not for every installed module: most of a
# venv (botocore's service models, checkov's checks, moto's backends) is never imported here.
PIP_INSTALL := pip install --quiet --disable-pip-version-check --require-hashes --no-deps --no-compile
# Test workers: one more than the cores. The end-to-end modules start first and partly wait on
# their local stacks (events, timeouts, a browser), so one extra worker keeps the cores busy; a
# second ran one more local stack at a time, whose servers and pollers cost more CPU than the
# waits it filled.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
LOCKS := requirements.txt cartlocal/requirements.txt tools/checkov/requirements.txt $(foreach f,$(FUNCTIONS),functions/$(f)/requirements.txt)

.PHONY: help venv run-venv lint format typecheck test pytest test-fast lock

help: ## List the commands
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# $(call make-venv,DIR,LOCK): a venv at DIR holding exactly the hash-pinned LOCK, on Python 3.13.
define make-venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is not a working Python 3.13 (the Lambda runtime's version)." >&2; \
	  echo "       Install it (pyenv install 3.13) or name one: make $(or $(MAKECMDGOALS),test) PYTHON=/path/to/python3.13" >&2; exit 1; }
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/$(PIP_INSTALL) -r $(2)
	touch $(1)/.installed
endef

$(VENV)/.installed: requirements.txt
	$(call make-venv,$(VENV),requirements.txt)

$(RUN_VENV)/.installed: cartlocal/requirements.txt
	$(call make-venv,$(RUN_VENV),cartlocal/requirements.txt)

venv: $(VENV)/.installed ## Create .venv from the hash-pinned lock

run-venv: $(RUN_VENV)/.installed ## Create .venv-local (what packaging and the local runtime need) from its lock

lint: venv ## ruff: lint and formatting (checks only; `make format` fixes)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv fmt ## Format Python (ruff's safe fixes, ruff format) and Terraform (make fmt)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv ## mypy --strict over the shared code, functions, local runtime, cost and capacity models and tests
	$(BIN)/mypy cartflow cartbuild cartcapacity cartcost cartlocal cartops cartprovider cartship reliability bench tests tools $(wildcard *.py) $(wildcard functions/*/app.py)

# Lint, mypy and the test run are independent, so they run side by side: the checks take what the
# test workers leave idle while they wait on subprocesses. The tests need the checkov venv (the
# static tests), the local runtime's venv (`make event`) and the web console's assets (its tests,
# the browser test among them). Each test module runs whole on one worker, so a module's shared
# stack is provisioned once; the long modules are handed out first and never two to one worker
# (tests/long_first.py), not xdist's default of the most tests first, which starts the longest last.
test: ## Lint, type-check and run every test (what CI runs)
	$(MAKE) --no-print-directory -j4 lint typecheck pytest

pytest: venv checkov-venv run-venv console-assets ## Every test, without lint and type-check
	$(PY) -m pytest --numprocesses $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder -m "not bench"

# One worker per core (unit tests do not wait on subprocesses), and a temporary folder of its own:
# pytest's default one also holds the full suite's clones, whose clean-up a quick run would pay for.
# The local runtime's venv comes first (`make event` is under test): tests on two workers must not
# both create it.
test-fast: venv run-venv ## The unit tests only (the domain code and the handlers against moto), in parallel
	mkdir -p .cache
	$(PY) -m pytest tests/unit -q --numprocesses auto --basetemp .cache/pytest-fast

lock: venv ## Re-compile every requirements.in (root, tools, each function) with hashes
	@for lock in $(LOCKS); do \
	  echo "locking $${lock%.txt}.in"; \
	  $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --output-file $$lock $${lock%.txt}.in; \
	done

-include mk/*.mk
