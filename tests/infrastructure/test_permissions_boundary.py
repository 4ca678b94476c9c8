"""The permissions boundary every stack role carries lets through every call the stack makes.

A boundary caps what a role's own policies grant (IAM User Guide, "Permissions boundaries for IAM
entities"), so a call the role's policy allows but the boundary does not is denied on AWS while
every check of the role's policy alone passes. The boundary is the provider-free module
terraform/modules/boundary, which the bootstrap attaches and which is evaluated here by Terraform
itself, for the same deployment as the contract module's policies. Each call of each function (the
handler's own and those AWS makes with its role) is decided by the local evaluator against the
function's policy **and** the boundary.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cartflow import contract
from cartlocal.iam.policy import Policy, Principal, authorize
from cartlocal.iam.policy import Request as IamRequest
from tests.helpers.iam_policy import Request, function_policy, requests_of, statically_called_actions
from tests.helpers.terraform import DEPLOYMENT, TERRAFORM, blocks, evaluate_boundary, evaluate_contract, module_calls

BOOTSTRAP = TERRAFORM / "bootstrap"


def configuration_set_request() -> Request:
    """SES v2 authorizes a SendEmail naming a configuration set against that set too (SAR, SES v2)."""
    name = DEPLOYMENT["setting_values"]["SES_CONFIGURATION_SET"]
    arn = f"arn:aws:ses:{DEPLOYMENT['region']}:{DEPLOYMENT['account_id']}:configuration-set/{name}"
    return Request("ses:SendEmail", arn, why="send_reminder names the configuration set")


def stack_requests(function_name: str) -> list[Request]:
    called = statically_called_actions(function_name)
    extra = [configuration_set_request()] if "ses:SendEmail" in called else []
    return requests_of(function_name, called) + extra


def denied(policy: dict[str, Any], boundary: str, requests: list[Request]) -> list[tuple[str, str, str]]:
    principal = Principal.role(f"arn:aws:iam::{DEPLOYMENT['account_id']}:role/{DEPLOYMENT['name']}-under-test")
    # Keys AWS adds to every request (the boundary's actions without resource types test the region).
    common = {"aws:RequestedRegion": DEPLOYMENT["region"], "aws:PrincipalAccount": DEPLOYMENT["account_id"]}
    found = []
    for request in requests:
        decision = authorize(
            IamRequest(principal, request.action, request.resource, {**common, **request.context}),
            [Policy.parse("role policy", policy)],
            boundary=Policy.parse("boundary", boundary),
            resource_policy_required=False,  # the key policy is the subject of its own tests
        )
        if not decision.allowed:
            found.append((request.action, request.resource, decision.reason))
    return found


@pytest.mark.parametrize("function_name", sorted(contract.stack()["functions"]))
def test_every_call_of_a_function_passes_its_policy_and_the_boundary(function_name: str) -> None:
    assert not denied(function_policy(function_name), evaluate_boundary(), stack_requests(function_name))


def test_the_scheduler_and_api_roles_calls_pass_the_boundary() -> None:
    outputs = evaluate_contract()
    bus = DEPLOYMENT["setting_values"]["EVENT_BUS_ARN"]
    put = Request("events:PutEvents", bus)
    assert not denied(json.loads(outputs["api_role_policy"]), evaluate_boundary(), [put])
    dlq = DEPLOYMENT["setting_values"]["SCHEDULER_DLQ_ARN"]
    key = DEPLOYMENT["kms_key_arn"]
    via_sqs = {"kms:ViaService": f"sqs.{DEPLOYMENT['region']}.amazonaws.com"}
    scheduler = [put, Request("sqs:SendMessage", dlq)] + [
        Request(action, key, via_sqs) for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]
    assert not denied(json.loads(outputs["scheduler_role_policy"]), evaluate_boundary(), scheduler)


def test_a_send_the_role_allows_is_denied_by_a_boundary_without_the_configuration_set() -> None:
    """The check evaluates the boundary, not just the role's policy (issue 23, item 4)."""
    document = json.loads(evaluate_boundary())
    document["Statement"] = [
        {**s, "Resource": [r for r in s["Resource"] if ":configuration-set/" not in r]}
        for s in document["Statement"]
        if [r for r in s["Resource"] if ":configuration-set/" not in r]
    ]
    found = denied(function_policy("send_reminder"), json.dumps(document), [configuration_set_request()])
    assert [reason for _, _, reason in found] == ["because no permissions boundary allows the ses:SendEmail action"]


def test_the_boundary_reaches_only_the_stack_s_own_configuration_sets() -> None:
    other = configuration_set_request().resource.replace(f"/{DEPLOYMENT['name']}-", "/someone-else-")
    anything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ses:*", "Resource": "*"}]}
    assert denied(anything, evaluate_boundary(), [Request("ses:SendEmail", other)])
    statements = json.loads(evaluate_boundary())["Statement"]
    sets = [r for s in statements for r in s["Resource"] if ":configuration-set/" in r]
    assert sets == [
        f"arn:aws:ses:{DEPLOYMENT['region']}:{DEPLOYMENT['account_id']}:configuration-set/{DEPLOYMENT['name']}-*"
    ]


def test_the_bootstrap_attaches_the_boundary_module_per_environment() -> None:
    call = module_calls(BOOTSTRAP)["boundary_document"]
    assert call["source"] == "../modules/boundary"
    assert call["stack_prefix"] == "${local.stack_prefix[each.key]}"
    assert call["for_each"] == "${toset(var.environments)}"
    [policy] = [
        body for kind, name, body in blocks(BOOTSTRAP, "resource") if (kind, name) == ("aws_iam_policy", "boundary")
    ]
    assert policy["policy"] == "${module.boundary_document[each.key].json}"
