"""Shared fixtures: a moto-backed stack provisioned from the contract, and handler loading.

Handlers create their boto3 clients at import, as they do in Lambda, so each test imports the
function module afresh inside moto's mock with exactly the environment Terraform would set.
"""

from __future__ import annotations

import os

# Powertools reads these when cartflow.observability is first imported, which in Lambda always
# happens after the environment is set; set them before any cartflow import here too.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "cartflow")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "cartflow")

import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.handlers
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto import mock_aws

from cartflow import contract, timestamps
from cartlocal.lambda_runtime.envelopes import restore_eventbridge_envelope, sqs_event
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack, provision

ROOT = Path(__file__).resolve().parent.parent

# IAM actions each function performed while its tests ran, e.g. {"send_reminder": {"ses:SendEmail"}}.
# tests/test_terraform_policies.py checks every one of them is allowed by that function's policy.
RECORDED_ACTIONS: dict[str, set[str]] = {}
_function_under_test: list[str] = []


def _record_action(model: Any, **_: Any) -> None:
    if _function_under_test:
        action = f"{model.service_model.signing_name}:{model.name}"
        RECORDED_ACTIONS.setdefault(_function_under_test[-1], set()).add(action)


# Registered like moto's own hook, so it also reaches clients created inside handler modules.
botocore.handlers.BUILTIN_HANDLERS.append(("before-call", _record_action))
FUNCTIONS = sorted(path.name for path in (ROOT / "functions").iterdir() if (path / "app.py").exists())


@dataclass
class FakeLambdaContext:
    """The Lambda context object handlers receive (not an AWS API, so nothing to emulate)."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    remaining_ms: int = 30_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", *contract.stack()["settings"]):
        if name.startswith("POWERTOOLS_"):
            continue
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws():
        yield provision(name="cartflow-test", reminder_delay_seconds=86400)


@pytest.fixture
def load_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    def load(name: str, **overrides: str | None) -> ModuleType:
        environment: dict[str, str | None] = {**stack.environment(name), **overrides}
        for key, value in environment.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        spec = importlib.util.spec_from_file_location(
            f"{name}_app_{uuid.uuid4().hex}", ROOT / "functions" / name / "app.py"
        )
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        setattr(module, "handler", _attributed(name, getattr(module, "handler")))  # noqa: B009, B010
        return module

    return load


def _attributed(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``handler`` so the AWS calls it makes are recorded as ``name``'s actions."""

    def invoke(*args: Any, **kwargs: Any) -> Any:
        _function_under_test.append(name)
        try:
            return handler(*args, **kwargs)
        finally:
            _function_under_test.pop()

    return invoke


def cart_detail(detail_type: str, **fields: Any) -> dict[str, Any]:
    """A valid detail of ``detail_type`` as the API would emit it."""
    bases: dict[str, dict[str, Any]] = {
        "ItemAddedToCart": {"user": "ada@example.com", "product": "sku:42", "quantity": 2, "email": "ada@example.com"},
        "ItemRemovedFromCart": {"user": "ada@example.com", "product": "sku:42"},
        "CartCheckedOut": {"user": "ada@example.com"},
    }
    return {**bases[detail_type], "request_id": str(uuid.uuid4()), "occurred_at": timestamps.now(), **fields}


def publish(stack: Stack, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    response = boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.settings["EVENT_BUS_ARN"],
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


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


def routed_envelopes(stack: Stack, function_name: str) -> list[dict[str, Any]]:
    """EventBridge envelopes moto routed to ``function_name``'s rule, as Lambda would get them."""
    return [
        json.loads(restore_eventbridge_envelope(message["Body"], ACCOUNT_ID))
        for message in drain(stack.lambda_delivery_queues[function_name])
    ]


def deliver(stack: Stack, function_name: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """Publish a cart event on the bus and return the one envelope routed to ``function_name``."""
    publish(stack, "cartflow.cart", detail_type, detail)
    envelopes = routed_envelopes(stack, function_name)
    assert len(envelopes) == 1, f"{detail_type} routed {len(envelopes)} times to {function_name}"
    return envelopes[0]


def queue_arn(queue_url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def receive_as_lambda_event(queue_url: str, **receive_options: Any) -> dict[str, Any]:
    """Receive what is in ``queue_url`` (without deleting) as an SQS event source mapping would."""
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], **receive_options
    )
    restored = [
        {**message, "Body": restore_eventbridge_envelope(message["Body"], ACCOUNT_ID)}
        for message in messages.get("Messages", [])
    ]
    return sqs_event(restored, queue_arn(queue_url), REGION)


def emitted_metrics(output: str) -> dict[str, float]:
    """Sum the Powertools EMF metrics printed in ``output``."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + (
                    sum(value) if isinstance(value, list) else value
                )
    return totals


@contextmanager
def aws_answer(client: Any, operation: str, status: int, parsed: dict[str, Any]) -> Iterator[None]:
    """Make ``client``'s ``operation`` answer ``status`` and ``parsed`` without reaching moto.

    moto cannot be told to throttle, fail or drop an entry, so the answer is injected at
    botocore's ``before-call`` hook: the call is never sent, and an error status makes botocore
    raise the modelled error class as it would for AWS's own answer.
    """

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        return AWSResponse("https://answer.injected", status, HTTPHeaders(), None), parsed

    event = f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register(event, answer)
    try:
        yield
    finally:
        client.meta.events.unregister(event, answer)


def aws_error(client: Any, operation: str, code: str, status: int) -> AbstractContextManager[None]:
    """Make ``client``'s ``operation`` fail with the AWS error ``code``."""
    error = {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return aws_answer(client, operation, status, error)


@pytest.fixture(scope="session")
def built_dist() -> Path:
    """The zips `make package` ships, built once per session (build.py is incremental)."""
    built = subprocess.run(
        [sys.executable, "build.py"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert built.returncode == 0, built.stderr[-2000:]
    return ROOT / "dist"


class RecordingEvents:
    """Stands in for EventBridge to capture the exact PutEvents request a template rendered."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}
