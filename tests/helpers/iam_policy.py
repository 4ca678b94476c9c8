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


# The boto3 client types cartflow's functions take as parameters (mypy_boto3), by service.
CLIENT_TYPES = {"DynamoDBClient": "dynamodb", "EventBridgeSchedulerClient": "scheduler"}


def _client_calls(body: ast.AST, clients: dict[str, str]) -> set[str]:
    """IAM actions of the calls made in ``body`` on the names ``clients`` maps to their service."""
    actions: set[str] = set()
    for node in ast.walk(body):
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


def _cartflow_modules(tree: ast.Module) -> set[str]:
    return {
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "cartflow"
        for alias in node.names
    }


def _domain_calls(tree: ast.AST, modules: set[str], own: str) -> set[tuple[str, str]]:
    """The cartflow functions ``tree`` calls: ``module.function(...)``, or ``function(...)`` of its ``own`` module."""
    called: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            called.add((func.value.id, func.attr))
        elif isinstance(func, ast.Name) and own:
            called.add((own, func.id))
    return called


def _domain_actions(module: str, function: str, seen: set[tuple[str, str]]) -> set[str]:
    """IAM actions of cartflow's ``module.function`` on the clients it is given, and of what it calls in turn."""
    if (module, function) in seen:
        return set()
    seen.add((module, function))
    tree = ast.parse((ROOT / "cartflow" / f"{module}.py").read_text())
    definitions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function]
    if not definitions:  # a class, or a name the module imported: no client call of its own
        return set()
    [definition] = definitions
    clients = {
        arg.arg: CLIENT_TYPES[arg.annotation.id]
        for arg in [*definition.args.args, *definition.args.kwonlyargs]
        if isinstance(arg.annotation, ast.Name) and arg.annotation.id in CLIENT_TYPES
    }
    actions = _client_calls(definition, clients)
    for callee in _domain_calls(definition, _cartflow_modules(tree), module):
        actions |= _domain_actions(*callee, seen)
    return actions


def statically_called_actions(function_name: str) -> set[str]:
    """IAM actions of the boto3 calls written in the handler, or in the cartflow functions it hands its clients.

    Complements the recording: a call on a path no test takes is still checked against the policy.
    """
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
    actions = _client_calls(tree, clients)
    seen: set[tuple[str, str]] = set()
    for module, function in _domain_calls(tree, _cartflow_modules(tree), ""):
        actions |= _domain_actions(module, function, seen)
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
