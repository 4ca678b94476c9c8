"""An IAM evaluator for the functions' Terraform policies: does a policy allow what a handler does?

The policies checked are the JSON documents Terraform itself computes (the provider-free contract
module, evaluated by tests.helpers.terraform.evaluate_contract), i.e. exactly what the stack attaches.

The checker is the local stack's own evaluator (cartlocal.iam.policy): AWS's logic for identity
policies in one account, every condition operator included.
Resource ARNs come from a model of which resource each API call touches (resource_of below).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cartflow import contract
from cartlocal.iam.policy import Policy, Principal, authorize
from cartlocal.iam.policy import Request as IamRequest
from tests.helpers.paths import ROOT
from tests.helpers.terraform import DEPLOYMENT, evaluate_contract

# Actions that support no resource-level permission (the Service Authorization Reference lists
# no resource type for them), so Resource "*" is the narrowest grant possible.
WILDCARD_ALLOWED: dict[str, str] = {
    "scheduler:ListSchedules": "ListSchedules has no resource type; the group is a request parameter.",
    "xray:PutTraceSegments": "X-Ray PutTraceSegments has no resource type.",
    "xray:PutTelemetryRecords": "X-Ray PutTelemetryRecords has no resource type.",
}

TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}

# boto3 client name -> IAM service prefix (botocore's signing name).
SERVICE_PREFIX = {
    "scheduler": "scheduler",
    "sesv2": "ses",
    "ses": "ses",
    "events": "events",
    "dynamodb": "dynamodb",
    "sqs": "sqs",
}


@dataclass(frozen=True)
class Request:
    """One authorization request: action on resource, with the context keys AWS adds."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)
    why: str = "called by the handler"


# ---------------------------------------------------------------- the deployment's resources


def arns() -> dict[str, Any]:
    return dict(evaluate_contract()["arns"])


def schedule_arn(name: str) -> str:
    group = DEPLOYMENT["setting_values"]["SCHEDULE_GROUP"]
    return f"arn:aws:scheduler:{DEPLOYMENT['region']}:{DEPLOYMENT['account_id']}:schedule/{group}/{name}"


def resource_of(action: str) -> str:
    """The ARN an action of a handler is authorized against in this deployment."""
    deployed = arns()
    table = {
        "scheduler:CreateSchedule": schedule_arn("cart-0123456789abcdef"),
        "scheduler:GetSchedule": schedule_arn("cart-0123456789abcdef"),
        "scheduler:UpdateSchedule": schedule_arn("cart-0123456789abcdef"),
        "scheduler:DeleteSchedule": schedule_arn("cart-0123456789abcdef"),
        "scheduler:ListSchedules": "*",
        "ses:SendEmail": deployed["sender_identity"],
        "events:PutEvents": DEPLOYMENT["setting_values"]["EVENT_BUS_ARN"],
        # send_reminder sends a reminder back to its own queue (to wait) or to that queue's DLQ.
        "sqs:SendMessage": deployed["queues"]["reminders"],
    }
    if action.startswith("dynamodb:") and action.endswith("Item"):
        return str(deployed["idempotency_table"])
    assert action in table, f"no resource model for {action}: add the ARN it is authorized on to resource_of()"
    return str(table[action])


def implied_requests(function_name: str, actions: Iterable[str]) -> list[Request]:
    """Authorizations AWS performs on the function's role besides the handler's own calls."""
    implied: list[Request] = []
    if {"scheduler:CreateSchedule", "scheduler:UpdateSchedule"} & set(actions):
        implied.append(
            Request(
                "iam:PassRole",
                DEPLOYMENT["setting_values"]["SCHEDULER_ROLE_ARN"],
                {"iam:PassedToService": "scheduler.amazonaws.com"},
                "a schedule's target names the scheduler role",
            )
        )
    implied.extend(table_key_requests(actions))
    if "sqs:SendMessage" in actions:
        via = {"kms:ViaService": f"sqs.{DEPLOYMENT['region']}.amazonaws.com"}
        why = "the queues are encrypted with the stack key; SQS asks KMS for a data key as the sender"
        implied.extend(
            Request(action, DEPLOYMENT["kms_key_arn"], via, why) for action in ("kms:GenerateDataKey", "kms:Decrypt")
        )
    for queue, spec in contract.stack()["queues"].items():
        if spec["consumer"] != function_name:
            continue
        queue_arn = arns()["queues"][queue]
        for action in (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        ):
            implied.append(Request(action, queue_arn, why=f"event source mapping polls {queue} with this role"))
        implied.append(
            Request(
                "kms:Decrypt",
                DEPLOYMENT["kms_key_arn"],
                {"kms:ViaService": f"sqs.{DEPLOYMENT['region']}.amazonaws.com"},
                f"{queue} is encrypted with the stack key",
            )
        )
    return implied


def table_key_requests(actions: Iterable[str]) -> list[Request]:
    """The KMS calls DynamoDB makes as the caller for a table encrypted with a customer managed key.

    DescribeKey carries no encryption context; the cryptographic operations carry the table's
    (aws:dynamodb:tableName, aws:dynamodb:subscriberId = the account). Writers also encrypt.
    """
    table_actions = {action for action in actions if action.startswith("dynamodb:")}
    if not table_actions:
        return []
    via = {"kms:ViaService": f"dynamodb.{DEPLOYMENT['region']}.amazonaws.com"}
    context = {
        **via,
        "kms:EncryptionContext:aws:dynamodb:tableName": DEPLOYMENT["setting_values"]["IDEMPOTENCY_TABLE"],
        "kms:EncryptionContext:aws:dynamodb:subscriberId": DEPLOYMENT["account_id"],
    }
    why = "the idempotency table is encrypted with the stack key; DynamoDB calls KMS as the caller"
    key = DEPLOYMENT["kms_key_arn"]
    cryptographic = ["kms:Decrypt"] + (["kms:Encrypt", "kms:GenerateDataKey"] if table_actions & TABLE_WRITES else [])
    return [Request("kms:DescribeKey", key, via, why)] + [
        Request(action, key, context, why) for action in cryptographic
    ]


def statically_called_actions(function_name: str) -> set[str]:
    """IAM actions of the boto3 calls written in the handler (complements the recording)."""
    tree = ast.parse((ROOT / "functions" / function_name / "app.py").read_text())
    clients: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", None) == "client"
            and isinstance(node.value.args[0], ast.Constant)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    clients[target.id] = str(node.value.args[0].value)
    actions: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id in clients):
            continue
        method = node.func.attr
        if method == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
            method = str(node.args[0].value)
        if method.startswith(("get_paginator", "exceptions", "meta")):
            continue
        operation = "".join(part.capitalize() for part in method.split("_"))
        actions.add(f"{SERVICE_PREFIX[clients[owner.id]]}:{operation}")
    return actions


# ---------------------------------------------------------------- IAM evaluation


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed(policy: dict[str, Any], request: Request) -> bool:
    """AWS's evaluation of one identity policy (cartlocal.iam, the local stack's own evaluator)."""
    principal = Principal.role(f"arn:aws:iam::{DEPLOYMENT['account_id']}:role/policy-under-test")
    iam_request = IamRequest(principal, request.action, request.resource, request.context)
    # The identity policy alone is under test: a key policy's own grant is checked where it is
    # evaluated (the local plane), so the key-policy requirement of KMS requests is not applied.
    return authorize(iam_request, [Policy.parse("policy under test", policy)], resource_policy_required=False).allowed


def denied_requests(policy: dict[str, Any], requests: Iterable[Request]) -> list[Request]:
    return [request for request in requests if not allowed(policy, request)]


def wildcard_findings(statements: Iterable[dict[str, Any]]) -> list[str]:
    """Statements granting a resource wildcard to an action that supports a narrower ARN."""
    findings = []
    for statement in statements:
        resources = _listed(statement.get("Resource", []))
        broad = [r for r in resources if r == "*" or re.match(r"^arn:[^:]*:[^:]*:\*?:\*?:", r)]
        for action in _listed(statement.get("Action", [])):
            if broad and action not in WILDCARD_ALLOWED:
                findings.append(f"{statement.get('Sid')}: {action} on {broad}")
            if "*" in action:
                findings.append(f"{statement.get('Sid')}: wildcard action {action}")
    return findings


# ---------------------------------------------------------------- the deployed policies


def function_policy(function_name: str) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(evaluate_contract()["function_policies"][function_name])
    return policy


def requests_of(function_name: str, actions: Iterable[str]) -> list[Request]:
    actions = sorted(actions)
    return [Request(action, resource_of(action)) for action in actions] + implied_requests(function_name, actions)


# CloudWatch Logs' (v1) log delivery, which an HTTP API stage's access logging uses with the
# caller's permissions: AWS, "Configuring logging for an HTTP API". None has a resource type.
LOG_DELIVERY = frozenset(
    {
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    }
)
