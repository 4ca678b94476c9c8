"""The local stack's deployment as the contract module sees it, and the plane built from it.

The local stack is one more deployment of the contract module: name, account, region, key and
sender are its inputs, and the policy documents it outputs are the ones the gate enforces. The
stack key exists only here: moto never encrypts, so the key is the ARN the queues and the table
name and the key policy the plane evaluates. Every stack role carries the permissions boundary
the bootstrap attaches (terraform/bootstrap/boundary.tf): its document is the boundary module's
output for this deployment's stack prefix (the stack's name), evaluated the same way, and travels
with the contract's outputs as ``permissions_boundary``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cartflow.contract import resource_name
from cartlocal.iam import contract_module
from cartlocal.iam.operations import Where
from cartlocal.iam.plane import OUTPUTS, Plane
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, SENDER_EMAIL

# SQS queue URLs as AWS forms them (the local plane reads only the queue name, the last segment).
QUEUE_URL_PREFIX = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0c0ffee0-cafe-4a11-8a7e-000000000001"


def contract_outputs(name: str) -> dict[str, Any]:
    """The contract module's policies and names for the local deployment ``name`` (cached)."""
    inputs = {
        "name": name,
        "region": REGION,
        "account_id": ACCOUNT_ID,
        "kms_key_arn": KEY_ARN,
        "sender_identity": SENDER_EMAIL,
        # The module requires a value for every function setting; these are what provision creates.
        "setting_values": {
            "EVENT_BUS_ARN": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{resource_name('event_bus', name)}",
            "SCHEDULE_GROUP": resource_name("schedule_group", name),
            "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT_ID}:role/{resource_name('scheduler_role', name)}",
            "SCHEDULER_DLQ_ARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{resource_name('scheduler_dlq', name)}",
            "IDEMPOTENCY_TABLE": resource_name("idempotency_table", name),
            "SENDER_EMAIL": SENDER_EMAIL,
            "SES_CONFIGURATION_SET": resource_name("ses_configuration_set", name),
            "REMINDER_QUEUE_URL": f"{QUEUE_URL_PREFIX}/{resource_name('queue', name, 'reminders')}",
            "REMINDER_DLQ_URL": f"{QUEUE_URL_PREFIX}/{resource_name('queue_dlq', name, 'reminders')}",
        },
    }
    outputs = contract_module.evaluate(inputs, OUTPUTS)
    return {**outputs, "permissions_boundary": boundary_document(name)}


def boundary_document(name: str) -> str:
    """The permissions boundary the bootstrap attaches to every role of the stack ``name``."""
    inputs = {"partition": "aws", "region": REGION, "account_id": ACCOUNT_ID, "stack_prefix": name}
    evaluated = contract_module.evaluate_module(contract_module.BOUNDARY_MODULE, inputs, ("json",))
    return str(evaluated["json"])


def write_config(path: Path, outputs: dict[str, Any], *, ses_sandbox: bool) -> Path:
    """What the moto server's gate needs to build the same plane (cartlocal.local_aws.server)."""
    path.write_text(json.dumps({"outputs": outputs, "ses_sandbox": ses_sandbox}), encoding="utf-8")
    return path


def plane(config: dict[str, Any]) -> Plane:
    where = Where(REGION, ACCOUNT_ID, ses_sandbox=bool(config.get("ses_sandbox")))
    return Plane.from_contract(config["outputs"], where, KEY_ARN)
