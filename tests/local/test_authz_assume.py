"""Services assume roles through their trust policies, with the context each service sends.

API Gateway, assuming an integration's credentials role, sends no aws:SourceAccount; Scheduler
sends aws:SourceAccount and the schedule group's ARN as aws:SourceArn (docs/aws-fidelity.md).
A refused assume of the API's role is API Gateway's 500 with the execution-log reason.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cartflow.contract import resource_name
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.iam import local as iam_local
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION

NAME = "cartflow-assume-test"
GROUP_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{resource_name('schedule_group', NAME)}"


@pytest.fixture(scope="module")
def contract_outputs() -> dict[str, Any]:
    return iam_local.contract_outputs(NAME)


def trust(condition: dict[str, Any] | None) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**statement, **({"Condition": condition} if condition else {})}]}
    )


@pytest.mark.parametrize(
    ("condition", "allowed"),
    [(None, True), ({"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}, False)],
    ids=["no condition", "aws:SourceAccount required"],
)
def test_api_gateway_sends_no_source_account_for_integration_credentials(
    contract_outputs: dict[str, Any], condition: dict[str, Any] | None, allowed: bool
) -> None:
    outputs = copy.deepcopy(contract_outputs)
    outputs["trust_policies"]["api_role"] = trust(condition)
    plane = iam_local.plane({"outputs": outputs})
    # The context LocalStack._assume_for_api sends: empty, as API Gateway's.
    assert plane.assume("apigateway.amazonaws.com", outputs["arns"]["api_role"], {}).allowed is allowed


def test_scheduler_assumes_its_role_only_for_the_stack_s_group(contract_outputs: dict[str, Any]) -> None:
    plane = iam_local.plane({"outputs": contract_outputs})
    role = contract_outputs["arns"]["scheduler_role"]
    context = {"aws:SourceAccount": ACCOUNT_ID, "aws:SourceArn": GROUP_ARN}
    assert plane.assume("scheduler.amazonaws.com", role, context).allowed
    assert not plane.assume("scheduler.amazonaws.com", role, context | {"aws:SourceArn": GROUP_ARN + "-other"}).allowed
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
