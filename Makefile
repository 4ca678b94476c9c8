# cartflow: every command a developer or CI runs. `make help` lists them.
# Each target bootstraps .venv from the hash-pinned lock, so a fresh clone needs only Python 3.13.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.13
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
FUNCTIONS := $(patsubst functions/%/app.py,%,$(wildcard functions/*/app.py))
LOCKS := requirements.txt tools/checkov/requirements.txt $(foreach f,$(FUNCTIONS),functions/$(f)/requirements.txt)

.PHONY: help venv lint typecheck test lock

help: ## List the commands
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is not a working Python 3.13 (the Lambda runtime's version)." >&2; \
	  echo "       Install it (pyenv install 3.13) or name one: make $(or $(MAKECMDGOALS),test) PYTHON=/path/to/python3.13" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv from the hash-pinned lock

lint: venv ## ruff: lint and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv ## mypy --strict over the shared code, functions, local runtime and tests
	$(BIN)/mypy cartflow cartlocal tests tools $(wildcard cartship bench) $(wildcard *.py) $(wildcard functions/*/app.py)

test: lint typecheck ## Lint, type-check and run every test (what CI runs)
	$(PY) -m pytest

lock: venv ## Re-compile every requirements.in (root, tools, each function) with hashes
	@for lock in $(LOCKS); do \
	  echo "locking $${lock%.txt}.in"; \
	  $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --output-file $$lock $${lock%.txt}.in; \
	done

-include mk/*.mk
