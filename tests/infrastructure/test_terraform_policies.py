"""Every AWS action a handler performs is allowed by that function's IAM policy in Terraform.

The calls each handler makes under moto are checked by the ``aws_calls`` fixture (tests/conftest.py)
when every handler test ends, in any order; here the calls written in each handler are checked
statically, the roles' other policies are checked, and each check is shown able to fail. The
evaluator and the resource model are in tests/helpers/iam_policy.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from cartflow import contract
from cartlocal.local_aws.provision import Stack
from tests.helpers.aws_calls import AwsCalls, denied_calls
from tests.helpers.events import cart_detail, deliver
from tests.helpers.iam_policy import (
    WILDCARD_ALLOWED,
    Request,
    _listed,
    allowed,
    arns,
    denied_requests,
    function_policy,
    requests_of,
    schedule_arn,
    statically_called_actions,
    table_key_requests,
    wildcard_findings,
)
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.terraform import DEPLOYMENT, evaluate_contract


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


def test_the_recorded_calls_check_fails_when_the_policy_lacks_an_action(
    stack: Stack, load_function: Callable[..., ModuleType], aws_calls: AwsCalls
) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    app.handler(envelope, FakeLambdaContext("schedule_reminder"))
    assert "scheduler:CreateSchedule" in aws_calls.actions("schedule_reminder")
    assert denied_calls(aws_calls) == {}

    broken = _without_action(function_policy("schedule_reminder"), "scheduler:CreateSchedule")
    denied = denied_calls(aws_calls, policy_of=lambda name: broken)
    assert [request.action for request in denied["schedule_reminder"]] == ["scheduler:CreateSchedule"]
