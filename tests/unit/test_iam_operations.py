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


@pytest.mark.parametrize(
    ("method", "path", "query", "action", "resource"),
    [
        ("GET", "/b/releases/r.json", "x-id=GetObject", "s3:GetObject", "arn:aws:s3:::b/releases/r.json"),
        ("HEAD", "/b/functions/f/1.zip", "", "s3:GetObject", "arn:aws:s3:::b/functions/f/1.zip"),
        ("GET", "/b/functions/f/1.zip", "versionId=v1", "s3:GetObjectVersion", "arn:aws:s3:::b/functions/f/1.zip"),
        ("PUT", "/b/environments/dev.json", "x-id=PutObject", "s3:PutObject", "arn:aws:s3:::b/environments/dev.json"),
        ("DELETE", "/b/s/terraform.tfstate.tflock", "", "s3:DeleteObject", "arn:aws:s3:::b/s/terraform.tfstate.tflock"),
        ("GET", "/b", "list-type=2&prefix=env%3A%2F", "s3:ListBucket", "arn:aws:s3:::b"),
        ("GET", "/b", "versions&prefix=x", "s3:ListBucketVersions", "arn:aws:s3:::b"),
    ],
)
def test_s3_path_style_requests_are_authorized_on_the_object_or_the_bucket(
    method: str, path: str, query: str, action: str, resource: str
) -> None:
    assert rest("s3", method, path, query) == [Needed(action, resource)]


@pytest.mark.parametrize(
    ("method", "path", "query", "headers"),
    [
        ("GET", "/b", "policy", {}),
        ("PUT", "/b/k", "tagging", {}),
        ("PUT", "/b/k", "", {"x-amz-copy-source": "/b/other"}),
        ("GET", "/", "", {}),
    ],
)
def test_s3_requests_not_modelled_are_refused(method: str, path: str, query: str, headers: dict[str, str]) -> None:
    with pytest.raises(Unmodelled):
        describe(HttpRequest("s3", method, path, query, headers, b""), WHERE)


def test_get_caller_identity_needs_no_permission_and_other_sts_calls_are_not_modelled() -> None:
    identity = HttpRequest("sts", "POST", "/", "", {}, b"Action=GetCallerIdentity&Version=2011-06-15")
    assume = HttpRequest("sts", "POST", "/", "", {}, b"Action=AssumeRole&RoleArn=r")

    assert describe(identity, WHERE).needed == ()
    with pytest.raises(Unmodelled):
        describe(assume, WHERE)
