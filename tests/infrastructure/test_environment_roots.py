"""What each environment root (and the bootstrap) must state for a real AWS account to accept it.

Read from the files Terraform reads (backend.hcl, terraform.tfvars, the modules), since neither
moto nor the offline checks model these account-wide rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.terraform import TERRAFORM, blocks, load_hcl

ENVIRONMENTS = sorted(path.parent.name for path in (TERRAFORM / "environments").glob("*/backend.hcl"))
BOOTSTRAP = TERRAFORM / "bootstrap"
MODULES = [TERRAFORM / "modules" / "cartflow", TERRAFORM / "modules" / "lambda_function"]


def tfvars(environment: str) -> dict[str, Any]:
    return load_hcl(TERRAFORM / "environments" / environment / "terraform.tfvars")


def declares(directory: Path, resource_type: str) -> list[dict[str, Any]]:
    return [body for kind, _, body in blocks(directory, "resource") if kind == resource_type]


def test_environments_exist() -> None:
    assert ENVIRONMENTS == ["dev", "prod", "staging"]


# The API Gateway account setting (its CloudWatch role) is one per account and region: two owners
# overwrite each other on every apply, and destroying one deletes the role the other points at.
def test_exactly_one_root_owns_the_api_gateway_account_setting() -> None:
    owners = [f"bootstrap ({len(found)} block)" for found in [declares(BOOTSTRAP, "aws_api_gateway_account")] if found]
    in_modules = [body for module in MODULES for body in declares(module, "aws_api_gateway_account")]
    for environment in ENVIRONMENTS:
        if in_modules and tfvars(environment).get("manage_api_gateway_account", False) is not False:
            owners.append(environment)
    assert len(owners) == 1, f"owners of the region's API Gateway account setting: {owners}"


# With encrypt = true and no kms_key_id the S3 backend writes state with SSE-S3 (AES256), whatever
# the bucket's default encryption; the bootstrap key must be named in every backend.hcl.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_backend_encrypts_state_with_the_bootstrap_key(environment: str) -> None:
    backend = load_hcl(TERRAFORM / "environments" / environment / "backend.hcl")
    bootstrap_outputs = load_hcl(BOOTSTRAP / "outputs.tf")["output"]
    [config] = [entry["backend_config"] for entry in bootstrap_outputs if "backend_config" in entry]
    expected_keys = set(re.findall(r"[{,]\s*(\w+)\s*=", config["value"].split("=>", 1)[1]))
    assert "kms_key_id" in expected_keys
    assert set(backend) - {"__comments__"} == expected_keys, (
        f"{environment}/backend.hcl differs from the bootstrap's backend_config"
    )
    assert backend["encrypt"] is True
    assert re.fullmatch(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[^:]+:key/.+", backend["kms_key_id"])


# In the SES sandbox SES also authorizes each recipient's identity: every environment says whether
# it is in the sandbox and, if so, which verified recipients its reminders may go to.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_states_its_ses_sandbox(environment: str) -> None:
    values = tfvars(environment)
    assert isinstance(values.get("ses_sandbox"), bool), f"{environment}: ses_sandbox must be set"
    assert bool(values.get("sandbox_recipients")) == values["ses_sandbox"], environment
    assert values["ses_sandbox"] == (environment != "prod")
