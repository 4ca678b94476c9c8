"""Each realistic policy mistake (cartlocal.iam.mutants), applied alone, denies a call of the journey.

``make authz-mutants`` runs the whole local journey per mistake; this is the same set decided by the
plane against the calls the journey makes (as the local stack signs and describes them), fast
enough for every test run. On today's policies every call is allowed; each mutant must deny one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cartflow.contract import resource_name
from cartlocal.iam import local as iam_local
from cartlocal.iam.deliveries import EVENTBRIDGE
from cartlocal.iam.mutants import mutants
from cartlocal.iam.operations import Call, Needed
from cartlocal.iam.plane import Plane
from cartlocal.iam.policy import Principal
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, SENDER_EMAIL

NAME = "cartflow-local"  # the mutants name the local stack's resources
Check = Callable[[Plane], bool]


@pytest.fixture(scope="module")
def outputs() -> dict[str, Any]:
    return iam_local.contract_outputs(NAME)


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def journey_calls(outputs: dict[str, Any]) -> dict[str, Check]:
    """Whether the plane allows each call the journey makes, by a short name."""
    arns = outputs["arns"]
    roles = arns["function_roles"]

    def role(function: str) -> Principal:
        return Principal.role(roles[function], resource_name("function", NAME, function))

    bus = arn("events", f"event-bus/{resource_name('event_bus', NAME)}")
    group = resource_name("schedule_group", NAME)
    table = arns["idempotency_table"]
    queue = arns["queues"]["reminders"]
    rule = arn("events", f"rule/{resource_name('event_bus', NAME)}/{resource_name('rule', NAME, 'reminder_due')}")

    def allowed(principal: Principal, call: Call, context: dict[str, str] | None = None) -> Check:
        return lambda plane: plane.check(principal, call, context) is None

    put = Call("events", "PutEvents", (Needed("events:PutEvents", bus, {"events:source": "cartflow.cart"}),))
    schedule = Call(
        "scheduler",
        "CreateSchedule",
        (
            Needed("scheduler:CreateSchedule", arn("scheduler", f"schedule/{group}/cart-x")),
            Needed("iam:PassRole", arns["scheduler_role"], {"iam:PassedToService": "scheduler.amazonaws.com"}),
        ),
    )
    email = {"ses:FromAddress": SENDER_EMAIL, "ses:ApiVersion": "2"}
    send = Call(
        "ses",
        "SendEmail",
        (
            Needed("ses:SendEmail", arn("ses", f"identity/{SENDER_EMAIL}"), email),
            Needed(
                "ses:SendEmail",
                arn("ses", f"configuration-set/{resource_name('ses_configuration_set', NAME)}"),
                email,
            ),
        ),
    )
    return {
        "API Gateway assumes the API role": lambda plane: plane.api_gateway_assumes(arns["api_role"]).allowed,
        "the API role puts cart events": allowed(Principal.role(arns["api_role"], "apigateway"), put),
        "schedule_reminder creates a schedule": allowed(role("schedule_reminder"), schedule),
        "schedule_reminder reads the table": allowed(
            role("schedule_reminder"), Call("dynamodb", "GetItem", (Needed("dynamodb:GetItem", table),), (table,))
        ),
        "Scheduler assumes its role": lambda plane: plane.scheduler_assumes(arns["scheduler_role"], group).allowed,
        "EventBridge delivers to the reminders queue": allowed(
            EVENTBRIDGE,
            Call("sqs", "SendMessage", (Needed("sqs:SendMessage", queue),), (queue,)),
            {"aws:SourceArn": rule, "aws:SourceAccount": ACCOUNT_ID},
        ),
        "send_reminder's event source mapping receives": allowed(
            role("send_reminder"), Call("sqs", "ReceiveMessage", (Needed("sqs:ReceiveMessage", queue),), (queue,))
        ),
        "send_reminder sends the email": allowed(role("send_reminder"), send),
    }


def test_every_call_of_the_journey_is_allowed_today(outputs: dict[str, Any]) -> None:
    plane = iam_local.plane({"outputs": outputs})
    assert [name for name, check in journey_calls(outputs).items() if not check(plane)] == []


@pytest.mark.parametrize("mutant", mutants(ACCOUNT_ID, REGION), ids=lambda m: m.name)
def test_each_policy_mistake_denies_a_call_of_the_journey(outputs: dict[str, Any], mutant: Any) -> None:
    plane = iam_local.plane({"outputs": mutant.apply(outputs)})
    denied = [name for name, check in journey_calls(outputs).items() if not check(plane)]
    assert denied, f"{mutant.mistake}: the plane lets it pass"
