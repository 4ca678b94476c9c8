"""Requests become the authorizations AWS performs for them (Service Authorization Reference)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cartlocal.iam.operations import HttpRequest, Needed, Unmodelled, Where, describe

WHERE = Where("us-east-1", "111122223333")
QUEUE_URL = "http://127.0.0.1:5000/111122223333/q"


def call(service: str, target: str, body: dict[str, Any], where: Where = WHERE) -> list[Needed]:
    http = HttpRequest(service, "POST", "/", "", {"x-amz-target": target}, json.dumps(body).encode())
    return list(describe(http, where).needed)


def rest(service: str, method: str, path: str, query: str = "", body: dict[str, Any] | None = None) -> list[Needed]:
    http = HttpRequest(service, method, path, query, {}, json.dumps(body).encode() if body else b"")
    return list(describe(http, WHERE).needed)


@pytest.mark.parametrize(
    ("target", "action"),
    [
        ("AmazonSQS.SendMessageBatch", "sqs:SendMessage"),
        ("AmazonSQS.DeleteMessageBatch", "sqs:DeleteMessage"),
        ("AmazonSQS.ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"),
        ("AmazonSQS.ReceiveMessage", "sqs:ReceiveMessage"),
    ],
)
def test_sqs_batches_are_authorized_as_their_single_action_on_the_queue(target: str, action: str) -> None:
    assert call("sqs", target, {"QueueUrl": QUEUE_URL}) == [Needed(action, "arn:aws:sqs:us-east-1:111122223333:q")]


def test_put_events_is_authorized_per_entry_on_its_bus() -> None:
    needed = call(
        "events",
        "AWSEvents.PutEvents",
        {"Entries": [{"EventBusName": "b", "Source": "s", "DetailType": "d"}, {"Source": "s2", "DetailType": "d2"}]},
    )
    assert [(n.resource, dict(n.context)) for n in needed] == [
        ("arn:aws:events:us-east-1:111122223333:event-bus/b", {"events:source": "s", "events:detail-type": "d"}),
        (
            "arn:aws:events:us-east-1:111122223333:event-bus/default",
            {"events:source": "s2", "events:detail-type": "d2"},
        ),
    ]


def test_create_schedule_also_passes_the_target_role_to_scheduler() -> None:
    needed = rest(
        "scheduler", "POST", "/schedules/s1", body={"GroupName": "g", "Target": {"RoleArn": "arn:aws:iam::1:role/r"}}
    )
    assert needed == [
        Needed("scheduler:CreateSchedule", "arn:aws:scheduler:us-east-1:111122223333:schedule/g/s1"),
        Needed("iam:PassRole", "arn:aws:iam::1:role/r", {"iam:PassedToService": "scheduler.amazonaws.com"}),
    ]


def test_get_and_list_schedules() -> None:
    assert rest("scheduler", "GET", "/schedules/s1", "groupName=g") == [
        Needed("scheduler:GetSchedule", "arn:aws:scheduler:us-east-1:111122223333:schedule/g/s1")
    ]
    assert rest("scheduler", "GET", "/schedules", "ScheduleGroup=g") == [Needed("scheduler:ListSchedules", "*")]


@pytest.mark.parametrize(
    ("sandbox", "identities"), [(False, ["me@x.example"]), (True, ["me@x.example", "ada@y.example"])]
)
def test_send_email_is_authorized_on_the_sender_and_in_the_sandbox_on_each_recipient(
    sandbox: bool, identities: list[str]
) -> None:
    body = {"FromEmailAddress": "Shop <me@x.example>", "Destination": {"ToAddresses": ["ada@y.example"]}}
    http = HttpRequest("ses", "POST", "/v2/email/outbound-emails", "", {}, json.dumps(body).encode())
    needed = describe(http, Where("us-east-1", "111122223333", ses_sandbox=sandbox)).needed
    assert [n.resource.rsplit("/", 1)[-1] for n in needed] == identities
    assert all(n.context["ses:FromAddress"] == "me@x.example" for n in needed)


@pytest.mark.parametrize(
    ("service", "target"), [("sqs", "AmazonSQS.CreateQueue"), ("dynamodb", "DynamoDB_20120810.Scan"), ("sts", "")]
)
def test_what_is_not_modelled_is_refused(service: str, target: str) -> None:
    with pytest.raises(Unmodelled):
        call(service, target, {})
