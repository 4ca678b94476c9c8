"""Services assume roles through their trust policies, with the context each service sends.

The tests drive the local stack's own assume path (LocalStack._assume_for_api and
_assume_for_scheduler, what the local API and Scheduler call), so a wrong context there fails them.

API Gateway, assuming an integration's credentials role, sends no aws:SourceAccount; Scheduler
sends aws:SourceAccount and the schedule group's ARN as aws:SourceArn (docs/aws-fidelity.md).
A refused assume of the API's role is API Gateway's 500 with the execution-log reason.
"""

from __future__ import annotations

import copy
import io
import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cartflow.contract import resource_name
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.iam import local as iam_local
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.local_stack import LocalStack, Options
from cartlocal.pollers.scheduler import AssumeRoleDenied
from cartlocal.timeline import Timeline

NAME = "cartflow-assume-test"
GROUP_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{resource_name('schedule_group', NAME)}"


@pytest.fixture(scope="module")
def contract_outputs() -> dict[str, Any]:
    return iam_local.contract_outputs(NAME)


def trust(service: str, condition: dict[str, Any] | None) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, **({"Condition": condition} if condition else {})}]}
    )


def unstarted_stack(outputs: dict[str, Any]) -> LocalStack:
    """A LocalStack whose assume path runs for real on the plane of ``outputs``; nothing is started
    (the clients it hands out after a successful assume are stand-ins)."""
    local = LocalStack(Options(name=NAME), Timeline(stream=io.StringIO()))
    local.plane = iam_local.plane({"outputs": outputs})
    local.stack = SimpleNamespace(settings={"SCHEDULE_GROUP": resource_name("schedule_group", NAME)})  # type: ignore[assignment]
    local.client = lambda service, access_key="": (service, access_key)  # type: ignore[method-assign]
    return local


@pytest.mark.parametrize(
    ("condition", "allowed"),
    [(None, True), ({"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}, False)],
    ids=["no condition", "aws:SourceAccount required"],
)
def test_api_gateway_sends_no_source_account_for_integration_credentials(
    contract_outputs: dict[str, Any], condition: dict[str, Any] | None, allowed: bool
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    outputs["trust_policies"]["api_role"] = trust("apigateway.amazonaws.com", condition)
    local = unstarted_stack(outputs)
    refused = local._assume_for_api(outputs["arns"]["api_role"])  # what the local API calls
    assert (refused is None) is allowed
    if not allowed:
        assert refused == (
            "Execution failed due to configuration error: "
            f"API Gateway does not have permission to assume the provided role {outputs['arns']['api_role']}"
        )


@pytest.mark.parametrize(
    ("source_arn", "allowed"),
    [
        (GROUP_ARN, True),
        (GROUP_ARN + "-other", False),
        (GROUP_ARN.replace("schedule-group/", "schedule/") + "/*", False),
    ],
    ids=["the stack's group", "another group", "schedules, not the group"],
)
def test_scheduler_assumes_its_role_only_for_the_stack_s_group(
    contract_outputs: dict[str, Any], source_arn: str, allowed: bool
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    condition = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}, "ArnLike": {"aws:SourceArn": source_arn}}
    outputs["trust_policies"]["scheduler_role"] = trust("scheduler.amazonaws.com", condition)
    local = unstarted_stack(outputs)
    role = outputs["arns"]["scheduler_role"]
    if allowed:
        assert local._assume_for_scheduler(role)  # what the local Scheduler calls before delivering
        assert local.denials == []
    else:
        with pytest.raises(AssumeRoleDenied):
            local._assume_for_scheduler(role)
        assert [(d["principal"], d["action"]) for d in local.denials] == [("scheduler.amazonaws.com", "sts:AssumeRole")]


def test_the_deployed_scheduler_trust_admits_only_scheduler(contract_outputs: dict[str, Any]) -> None:
    plane = iam_local.plane({"outputs": contract_outputs})
    role = contract_outputs["arns"]["scheduler_role"]
    assert plane.scheduler_assumes(role, resource_name("schedule_group", NAME)).allowed
    assert not plane.scheduler_assumes(role, "another-group").allowed
    context = {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": GROUP_ARN}
    assert not plane.assume("events.amazonaws.com", role, context).allowed


def test_a_refused_integration_role_is_a_500_with_the_execution_log_reason() -> None:
    logged: list[str] = []
    reason = (
        "Execution failed due to configuration error: "
        "API Gateway does not have permission to assume the provided role r"
    )

    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        bus = events.create_event_bus(Name="b")["EventBusArn"]
        api = LocalRestApi(
            events,
            bus,
            REGION,
            ACCOUNT_ID,
            request_ids=lambda: "req-1",
            assume_integration_role=lambda: reason,
            execution_log=logged.append,
        )
        body = json.dumps({"user": "ada", "product": "sku-1", "quantity": 1, "email": "ada@example.com"}).encode()
        response = api.handle("POST", "/cart", {"Content-Type": "application/json"}, body)
    assert (response.status, response.json()) == (500, {"message": "Internal server error"})
    assert logged == [f"(req-1) {reason}"]
