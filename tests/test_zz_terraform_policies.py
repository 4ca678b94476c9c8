"""Every AWS action a handler performs is allowed by that function's IAM policy in Terraform.

Named test_zz_* so it runs after the handler tests, which record each function's AWS calls in
``RECORDED_ACTIONS`` (tests/conftest.py) while they run under moto. The policies checked are the
JSON documents Terraform itself computes (the provider-free contract module, evaluated by
tests/test_terraform_contract.evaluate_contract), i.e. exactly what the stack attaches.

The checker is the local stack's own evaluator (cartlocal.iam.policy): AWS's logic for identity
policies in one account, every condition operator included.
Resource ARNs come from a model of which resource each API call touches (RESOURCE_OF below).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from cartflow import contract
from cartlocal.iam.policy import Policy, Principal, authorize
from cartlocal.iam.policy import Request as IamRequest
from tests.conftest import RECORDED_ACTIONS
from tests.test_terraform_contract import DEPLOYMENT, ROOT, evaluate_contract

# Actions that support no resource-level permission (the Service Authorization Reference lists
# no resource type for them), so Resource "*" is the narrowest grant possible.
WILDCARD_ALLOWED: dict[str, str] = {
    "scheduler:ListSchedules": "ListSchedules has no resource type; the group is a request parameter.",
    "xray:PutTraceSegments": "X-Ray PutTraceSegments has no resource type.",
    "xray:PutTelemetryRecords": "X-Ray PutTelemetryRecords has no resource type.",
}

TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}

# boto3 client name -> IAM service prefix (botocore's signing name).
SERVICE_PREFIX = {"scheduler": "scheduler", "sesv2": "ses", "ses": "ses", "events": "events", "dynamodb": "dynamodb"}


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
    return authorize(iam_request, [Policy.parse("policy under test", policy)]).allowed


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


# ---------------------------------------------------------------- the tests


def function_policy(function_name: str) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(evaluate_contract()["function_policies"][function_name])
    return policy


def requests_of(function_name: str, actions: Iterable[str]) -> list[Request]:
    actions = sorted(actions)
    return [Request(action, resource_of(action)) for action in actions] + implied_requests(function_name, actions)


@pytest.mark.parametrize("function_name", sorted(contract.stack()["functions"]))
def test_every_recorded_action_is_allowed_by_the_functions_policy(function_name: str) -> None:
    if not RECORDED_ACTIONS:
        pytest.skip(
            "RECORDED_ACTIONS is empty: the handler tests did not run in this process "
            "(deselected, or run in another xdist worker); run the whole suite to check policies"
        )
    if function_name not in RECORDED_ACTIONS:
        pytest.skip(f"no handler test of {function_name} ran in this process, so none of its calls were recorded")
    denied = denied_requests(
        function_policy(function_name), requests_of(function_name, RECORDED_ACTIONS[function_name])
    )
    assert not denied, f"{function_name}'s Terraform policy denies: {denied}"


@pytest.mark.parametrize("function_name", sorted(contract.stack()["functions"]))
def test_every_call_written_in_the_handler_is_allowed(function_name: str) -> None:
    called = statically_called_actions(function_name)
    assert called, f"found no boto3 call in functions/{function_name}/app.py"
    denied = denied_requests(function_policy(function_name), requests_of(function_name, called))
    assert not denied, f"{function_name}'s Terraform policy denies: {denied}"


def test_every_policy_names_its_resources() -> None:
    outputs = evaluate_contract()
    documents = {
        **{f"function {name}": json.loads(doc) for name, doc in outputs["function_policies"].items()},
        "scheduler role": json.loads(outputs["scheduler_role_policy"]),
        "api role": json.loads(outputs["api_role_policy"]),
    }
    findings = {name: wildcard_findings(doc["Statement"]) for name, doc in documents.items()}
    assert not any(findings.values()), findings
    # Terraform's own allow-list (documentation output) may only name actions allowed here.
    assert set(outputs["actions_without_resource_types"]) <= set(WILDCARD_ALLOWED)


def test_the_functions_runtime_statements_name_their_resources() -> None:
    for function, document in evaluate_contract()["function_runtime_policies"].items():
        statements = json.loads(document)["Statement"]
        assert statements, f"{function} has no runtime statements"
        assert not wildcard_findings(statements)


def test_api_and_scheduler_roles_may_only_put_events_on_the_bus() -> None:
    outputs = evaluate_contract()
    bus = DEPLOYMENT["setting_values"]["EVENT_BUS_ARN"]
    api = json.loads(outputs["api_role_policy"])
    assert allowed(api, Request("events:PutEvents", bus))
    assert not allowed(api, Request("events:PutEvents", bus.replace("cartflow-test-bus", "default")))
    assert [a for s in api["Statement"] for a in _listed(s["Action"])] == ["events:PutEvents"]
    scheduler = json.loads(outputs["scheduler_role_policy"])
    assert allowed(scheduler, Request("events:PutEvents", bus))
    assert allowed(scheduler, Request("sqs:SendMessage", DEPLOYMENT["setting_values"]["SCHEDULER_DLQ_ARN"]))
    assert not allowed(scheduler, Request("sqs:SendMessage", arns()["queues"]["reminders"]))


# ---------------------------------------------------------------- the checker can fail


def _without_action(policy: dict[str, Any], action: str) -> dict[str, Any]:
    broken = copy.deepcopy(policy)
    for statement in broken["Statement"]:
        statement["Action"] = [a for a in _listed(statement["Action"]) if a != action]
    return broken


@pytest.mark.parametrize(
    ("function_name", "action"),
    [
        ("schedule_reminder", "scheduler:UpdateSchedule"),
        ("send_reminder", "ses:SendEmail"),
        ("send_reminder", "sqs:DeleteMessage"),
    ],
)
def test_removing_an_action_makes_the_checker_fail(function_name: str, action: str) -> None:
    requests = requests_of(function_name, statically_called_actions(function_name))
    assert action in {request.action for request in requests}
    policy = function_policy(function_name)
    assert not denied_requests(policy, requests)
    denied = denied_requests(_without_action(policy, action), requests)
    assert [request.action for request in denied] == [action]


def test_wrong_resource_or_missing_condition_makes_the_checker_fail() -> None:
    policy = function_policy("schedule_reminder")
    other_group = schedule_arn("x").replace("cartflow-test-reminders", "someone-elses-group")
    assert not allowed(policy, Request("scheduler:CreateSchedule", other_group))
    role = DEPLOYMENT["setting_values"]["SCHEDULER_ROLE_ARN"]
    assert not allowed(policy, Request("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}))
    assert not allowed(policy, Request("iam:PassRole", role))


def test_a_wildcard_resource_is_reported() -> None:
    statement = {"Sid": "TooBroad", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": "*"}
    assert wildcard_findings([statement]) == ["TooBroad: events:PutEvents on ['*']"]
    any_region = {"Sid": "AnyRegion", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:q"}
    assert wildcard_findings([any_region])


# ---------------------------------------------------------------- the table key, through DynamoDB


def _via(statement: dict[str, Any]) -> str | None:
    value = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
    return None if value is None else str(value)


@pytest.mark.parametrize("function_name", sorted(contract.stack()["functions"]))
def test_table_access_and_the_table_keys_statements_exist_together(function_name: str) -> None:
    statements = function_policy(function_name)["Statement"]
    reads_table = any(a.startswith("dynamodb:") for s in statements for a in _listed(s["Action"]))
    via_dynamodb = [s for s in statements if _via(s) == f"dynamodb.{DEPLOYMENT['region']}.amazonaws.com"]
    assert bool(via_dynamodb) == reads_table, function_name
    for statement in via_dynamodb:
        assert _listed(statement["Resource"]) == [DEPLOYMENT["kms_key_arn"]]


def test_without_the_table_key_statements_dynamodb_calls_are_denied() -> None:
    policy = function_policy("send_reminder")
    broken = copy.deepcopy(policy)
    via = f"dynamodb.{DEPLOYMENT['region']}.amazonaws.com"
    broken["Statement"] = [s for s in broken["Statement"] if _via(s) != via]
    requests = table_key_requests(["dynamodb:GetItem", "dynamodb:PutItem"])
    assert not denied_requests(policy, requests)
    assert sorted(r.action for r in denied_requests(broken, requests)) == sorted(r.action for r in requests)
    # A key use for another table (other encryption context) is not granted.
    other = [
        Request(r.action, r.resource, {**r.context, "kms:EncryptionContext:aws:dynamodb:tableName": "other"})
        for r in requests
        if r.action != "kms:DescribeKey"
    ]
    assert denied_requests(policy, other) == other


# ---------------------------------------------------------------- SES sandbox recipients

SANDBOX_RECIPIENTS = ("ada@example.com", "qa.example.com")


def sandbox_requests(recipient: str, from_address: str) -> list[Request]:
    """In the sandbox SES authorizes SendEmail on the sender's identity and on the recipient's."""
    identity = f"arn:aws:ses:{DEPLOYMENT['region']}:{DEPLOYMENT['account_id']}:identity/{recipient}"
    return [
        Request("ses:SendEmail", arns()["sender_identity"], {"ses:FromAddress": from_address}),
        Request("ses:SendEmail", identity, {"ses:FromAddress": from_address}, "SES sandbox checks the recipient"),
    ]


def test_a_sandbox_deployment_may_send_to_its_verified_recipients_only_as_its_sender() -> None:
    sender = DEPLOYMENT["setting_values"]["SENDER_EMAIL"]
    sandbox = json.loads(evaluate_contract(sandbox_recipients=SANDBOX_RECIPIENTS)["function_policies"]["send_reminder"])
    for recipient in SANDBOX_RECIPIENTS:
        assert not denied_requests(sandbox, sandbox_requests(recipient, sender)), recipient
        assert denied_requests(sandbox, sandbox_requests(recipient, "someone@else.example"))
    assert denied_requests(sandbox, sandbox_requests("stranger@example.com", sender))
    # Out of the sandbox (the default), no recipient identity is granted at all.
    production = function_policy("send_reminder")
    assert denied_requests(production, sandbox_requests(SANDBOX_RECIPIENTS[0], sender))
