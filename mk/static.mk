# Offline static proof of the Terraform (tools/check_terraform.py, tools/provider_schema.py).
# checkov pins its own boto3, so it lives in its own venv from its own hash-pinned lock.
CHECKOV_VENV := .venv-checkov

.PHONY: checkov-venv provider-schema tf-check

# Order-only on venv: its recipe is what checks that $(PYTHON) really is a Python 3.13.
$(CHECKOV_VENV)/.installed: tools/checkov/requirements.txt | venv
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/$(PIP_INSTALL) -r tools/checkov/requirements.txt
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed ## Create .venv-checkov from tools/checkov/requirements.txt

provider-schema: venv ## Re-derive tools/provider_schema/aws-6.25.json from the cdktf AWS bindings (downloads the bindings' wheel once)
	$(PY) tools/provider_schema.py

tf-check: venv checkov-venv ## Terraform offline proof: fmt, provider schema, terraform test, checkov
	$(PY) tools/check_terraform.py all
