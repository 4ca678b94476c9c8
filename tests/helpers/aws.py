"""Driving moto like AWS from tests: draining queues, and answers moto cannot be told to give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws


@contextmanager
def record_table(name: str) -> Iterator[Any]:
    """moto's DynamoDB holding one table keyed by a string ``id``, the shape of the stack's record table."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Every message currently visible in ``queue_url``, deleted as it is read."""
    sqs = boto3.client("sqs")
    messages: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    ):
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)
    return messages


def queue_arn(queue_url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


@contextmanager
def aws_answer(client: Any, operation: str, status: int, parsed: dict[str, Any]) -> Iterator[None]:
    """Make ``client``'s ``operation`` answer ``status`` and ``parsed`` without reaching moto.

    moto cannot be told to throttle, fail or drop an entry, so the answer is injected at
    botocore's ``before-call`` hook: the call is never sent, and an error status makes botocore
    raise the modelled error class as it would for AWS's own answer.
    """

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        return AWSResponse("https://answer.injected", status, HTTPHeaders(), None), parsed

    with _hooked(client, "before-call", operation, answer):
        yield


@contextmanager
def _hooked(client: Any, moment: str, operation: str, handler: Callable[..., Any]) -> Iterator[None]:
    """``handler`` registered on ``client``'s botocore event ``moment`` of ``operation`` meanwhile."""
    event = f"{moment}.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, handler)
    try:
        yield
    finally:
        client.meta.events.unregister(event, handler)


def aws_error(client: Any, operation: str, code: str, status: int) -> AbstractContextManager[None]:
    """Make ``client``'s ``operation`` fail with the AWS error ``code``."""
    error = {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return aws_answer(client, operation, status, error)


@contextmanager
def _once_at(client: Any, moment: str, operation: str, action: Callable[[], Any]) -> Iterator[None]:
    """Run ``action`` the first time ``client`` reaches ``moment`` (botocore's event) of ``operation``."""
    ran: list[bool] = []

    def interleave(**_: Any) -> None:
        if not ran:
            ran.append(True)
            action()

    with _hooked(client, moment, operation, interleave):
        yield
    assert ran, f"{operation} was never called"


def before_call(client: Any, operation: str, action: Callable[[], Any]) -> AbstractContextManager[None]:
    """Interleave ``action`` (another handler's work) just before ``client`` first sends ``operation``."""
    return _once_at(client, "before-call", operation, action)


def after_call(client: Any, operation: str, action: Callable[[], Any]) -> AbstractContextManager[None]:
    """Interleave ``action`` just after ``client``'s first ``operation`` was answered."""
    return _once_at(client, "after-call", operation, action)


class RecordingEvents:
    """Stands in for EventBridge to capture the exact PutEvents request a template rendered."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}


@contextmanager
def requests_sent(client: Any, operation: str) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every ``operation`` request ``client`` makes inside, as the code passed them.

    For what moto stores but cannot act on (a consistent read is a read like any other there),
    the request is the only place the difference shows.
    """
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    event = f"provide-client-params.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, record)
    try:
        yield sent
    finally:
        client.meta.events.unregister(event, record)
