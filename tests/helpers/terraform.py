"""Terraform read and evaluated offline: the HCL as data, and the contract module's outputs.

Several infrastructure tests (contract, policies, resource names) and the handler tests' policy
check read the same evaluated contract module, so it is computed once per process here.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from cartcost import deployment
from cartlocal.iam import contract_module
from tests.helpers.paths import ROOT

TERRAFORM = ROOT / "terraform"
CONTRACT_MODULE = TERRAFORM / "modules" / "contract"
COMPOSITION = TERRAFORM / "modules" / "cartflow"
LAMBDA_MODULE = TERRAFORM / "modules" / "lambda_function"
CONTRACT_DIR = ROOT / "cartflow" / "contract"

# Inputs of the evaluated contract module: a stand-in deployment (no AWS is contacted).
DEPLOYMENT: dict[str, Any] = {
    "name": "cartflow-test",
    "partition": "aws",
    "region": "eu-west-1",
    "account_id": "123456789012",
    "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    "sender_identity": "reminders@cartflow.example",
    "key_administrator_arns": ["arn:aws:iam::123456789012:role/cartflow-deploy-test"],
    "setting_values": {
        "EVENT_BUS_ARN": "arn:aws:events:eu-west-1:123456789012:event-bus/cartflow-test-bus",
        "SCHEDULE_GROUP": "cartflow-test-reminders",
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/cartflow-test-scheduler",
        "SCHEDULER_DLQ_ARN": "arn:aws:sqs:eu-west-1:123456789012:cartflow-test-scheduler-dlq",
        "IDEMPOTENCY_TABLE": "cartflow-test-idempotency",
        "SENDER_EMAIL": "reminders@cartflow.example",
        "SES_CONFIGURATION_SET": "cartflow-test-reminders",
        "REMINDER_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders",
        "REMINDER_DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/cartflow-test-reminders-dlq",
    },
}
CONTRACT_OUTPUTS = (
    "names",
    "arns",
    "functions",
    "rules",
    "queues",
    "routes",
    "http_routes",
    "environment",
    "function_policies",
    "scheduler_role_policy",
    "api_role_policy",
    "actions_without_resource_types",
    "trust_policies",
    "queue_policies",
    "rule_target_dlq_policy",
    "kms_key_policy",
    "function_runtime_policies",
    "registry_schemas",
    "alarms",
    "dashboard_body",
    "ses_events_role_policy",
)

Hcl = dict[str, Any]
# The one HCL reader (cached: the tests read the same files hundreds of times).
load_hcl = deployment.load_hcl


def module_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def blocks(directory: Path, kind: str) -> Iterator[tuple[str, str, Hcl]]:
    """Every ``resource``/``data`` block of a module as (type, name, body)."""
    for path in module_files(directory):
        for entry in load_hcl(path).get(kind, []):
            for block_type, named in entry.items():
                for name, body in named.items():
                    yield block_type, name, body


def module_calls(directory: Path) -> dict[str, Hcl]:
    calls: dict[str, Hcl] = {}
    for path in module_files(directory):
        for entry in load_hcl(path).get("module", []):
            calls.update(entry)
    return calls


@cache
def evaluate_contract(auth: str | None = None, sandbox_recipients: tuple[str, ...] = ()) -> dict[str, Any]:
    """The contract module's outputs for DEPLOYMENT, computed by Terraform itself (provider-free).

    ``auth`` None leaves the module's default; "cognito" evaluates the identity variant.
    ``sandbox_recipients`` evaluates the SES-sandbox variant (only the function policies).
    """
    variant = {
        **({"auth": auth} if auth else {}),
        **({"sandbox_recipients": list(sandbox_recipients)} if sandbox_recipients else {}),
    }
    names = ("routes", "http_routes") if auth else ("function_policies",) if sandbox_recipients else CONTRACT_OUTPUTS
    return contract_module.evaluate({**DEPLOYMENT, **variant}, names)


@cache
def evaluate_boundary(stack_prefix: str = DEPLOYMENT["name"]) -> str:
    """The permissions boundary (terraform/modules/boundary) of DEPLOYMENT's stack, as JSON text.

    The bootstrap attaches it to every role of the environment whose stack prefix it is given; a
    deployment's stack name is that prefix (``cartflow-<env>``).
    """
    inputs = {
        "partition": DEPLOYMENT["partition"],
        "region": DEPLOYMENT["region"],
        "account_id": DEPLOYMENT["account_id"],
        "stack_prefix": stack_prefix,
    }
    return str(contract_module.evaluate_module(contract_module.BOUNDARY_MODULE, inputs, ("json",))["json"])


def contract_document(expression: str) -> str:
    """A policy attribute's text: the evaluated document when it is a contract module output."""
    prefix = "${module.contract."
    if not expression.startswith(prefix):
        return expression
    value: Any = evaluate_contract()
    for key in expression.removeprefix(prefix).removesuffix("}").split("."):
        value = value[key]
    return str(value)
