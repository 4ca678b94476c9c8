# Offline static proof of the Terraform (tools/check_terraform.py, tools/provider_schema.py).
# checkov pins its own boto3, so it lives in its own venv from its own hash-pinned lock.
CHECKOV_VENV := .venv-checkov

.PHONY: checkov-venv provider-schema tf-check

$(CHECKOV_VENV)/.installed: tools/checkov/requirements.txt
	$(call make-venv,$(CHECKOV_VENV),tools/checkov/requirements.txt)

checkov-venv: $(CHECKOV_VENV)/.installed ## Create .venv-checkov from tools/checkov/requirements.txt

provider-schema: venv ## Re-derive tools/provider_schema/aws-6.25.json from the cdktf AWS bindings (downloads the bindings' wheel once)
	$(PY) tools/provider_schema.py

tf-check: venv checkov-venv ## Terraform offline proof: fmt, provider schema, terraform test, checkov
	$(PY) tools/check_terraform.py all
