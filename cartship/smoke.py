"""Smoke test of a deployed environment: a real POST through the API, seen arriving on the bus.

The API answers "message received" as soon as PutEvents accepted the entry, so the answer alone
proves little. This test adds a uniquely named product through the API, then waits for that very
event on the bus through a temporary rule and queue of its own, then removes the item again (so
no reminder is ever sent) and waits for that event too. The rule and queue are named after the
bus, which keeps them inside the environment's deploy-role scope, and are deleted afterwards
whatever happened. Requests are SigV4-signed because the API uses IAM authorization; the local
stack ignores the signature. Every wait is bounded.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from cartship.errors import ShipError

SOURCE = "cartflow.cart"
# The REST API answers its own message; the HTTP API (api = "http") answers PutEvents' response.
EXPECTED_ANSWER = {"message": "message received"}
HTTP_TIMEOUT_SECONDS = 15
ClientFactory = Callable[[str], Any]


@dataclass(frozen=True)
class Target:
    """Where the smoke test runs: the API's base URL (stage included) and the bus name or ARN."""

    api_url: str
    bus: str

    @property
    def bus_name(self) -> str:
        return self.bus.rsplit("/", 1)[-1]


def target_from_outputs(outputs: dict[str, Any]) -> Target:
    """The target named by ``terraform output -json`` of an environment root (api_url, event_bus_arn)."""
    try:
        return Target(str(outputs["api_url"]["value"]), str(outputs["event_bus_arn"]["value"]))
    except (KeyError, TypeError) as error:
        raise ShipError(f"terraform outputs lack {error} (need api_url and event_bus_arn): was it applied?") from error


def aws_client(service: str) -> Any:
    """A client of the default session: AWS, or moto when AWS_ENDPOINT_URL says so."""
    return boto3.client(service)  # type: ignore[call-overload]


def smoke(target: Target, client: ClientFactory = aws_client, timeout_seconds: float = 60.0) -> list[str]:
    """Run the smoke test; returns what it observed, refuses with the first thing that went wrong."""
    scheme = urllib.parse.urlsplit(target.api_url).scheme
    if scheme not in {"http", "https"}:
        raise ShipError(f"api url {target.api_url!r} is not http(s)")
    token = uuid.uuid4().hex[:12]
    product = f"smoke:{token}"
    user = f"smoke-{token}"
    log: list[str] = []
    region = client("events").meta.region_name
    with _listener(target, client, f"{target.bus_name}-smoke-{token}"[:64], product) as receive:
        for detail_type, method, body in (
            (
                "ItemAddedToCart",
                "POST",
                {"user": user, "product": product, "quantity": 1, "email": "smoke@example.com"},
            ),
            ("ItemRemovedFromCart", "DELETE", {"user": user, "product": product}),
        ):
            status, answer = _call(target.api_url, method, body, region)
            if status != 200 or not accepted(answer):
                raise ShipError(
                    f"{method} /cart answered {status} {answer}, expected 200 {EXPECTED_ANSWER} "
                    "(or, from an HTTP API, PutEvents' response with FailedEntryCount 0)"
                )
            event = receive(detail_type, timeout_seconds)
            if event is None:
                raise ShipError(
                    f"{method} /cart was accepted but no {detail_type} for {product} reached "
                    f"bus {target.bus_name} within {timeout_seconds:g} s"
                )
            log.append(f"{method} /cart → 200; {detail_type} {event['detail']['request_id']} reached {target.bus_name}")
    return log


def accepted(answer: Any) -> bool:
    """Whether an API answer says the event was put: the REST API's message, or PutEvents' own response."""
    if answer == EXPECTED_ANSWER:
        return True
    if not isinstance(answer, dict):
        return False
    entries = answer.get("Entries")
    return answer.get("FailedEntryCount") == 0 and isinstance(entries, list) and len(entries) == 1


def _call(api_url: str, method: str, body: dict[str, Any], region: str) -> tuple[int, Any]:
    url = api_url.rstrip("/") + "/cart"
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    credentials = boto3.session.Session().get_credentials()
    if credentials is not None:
        signed = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(signed)
        headers = dict(signed.headers.items())
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310  # scheme checked
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")[:200]
    except (urllib.error.URLError, TimeoutError) as error:
        raise ShipError(f"{method} {url} failed: {error}") from error


@contextmanager
def _listener(
    target: Target, client: ClientFactory, name: str, product: str
) -> Iterator[Callable[[str, float], dict[str, Any] | None]]:
    """A temporary rule matching only this run's product, delivering to a temporary queue."""
    events, sqs = client("events"), client("sqs")
    created: list[Callable[[], Any]] = []
    try:
        url = sqs.create_queue(QueueName=name, Attributes={"SqsManagedSseEnabled": "true"})["QueueUrl"]
        created.append(lambda: sqs.delete_queue(QueueUrl=url))
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": [SOURCE], "detail": {"product": [product]}}
        rule_arn = events.put_rule(Name=name, EventBusName=target.bus, EventPattern=json.dumps(pattern))["RuleArn"]
        created.append(lambda: events.delete_rule(Name=name, EventBusName=target.bus))
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        events.put_targets(Rule=name, EventBusName=target.bus, Targets=[{"Id": "smoke", "Arn": queue_arn}])
        created.append(lambda: events.remove_targets(Rule=name, EventBusName=target.bus, Ids=["smoke"]))
        yield lambda detail_type, timeout: _receive(sqs, url, detail_type, timeout)
    finally:
        for undo in reversed(created):
            undo()


def _receive(sqs: Any, url: str, detail_type: str, timeout_seconds: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout_seconds
    while (remaining := deadline - time.monotonic()) > 0:
        wait = max(1, min(10, int(remaining)))
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get(
            "Messages", []
        ):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            event: dict[str, Any] = json.loads(message["Body"])
            if event.get("detail-type") == detail_type:
                return event
    return None
