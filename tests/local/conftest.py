"""Fixtures of the local-runtime component tests: one provisioned moto stack per module, and a tap on its bus."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from cartlocal.local_aws.provision import REGION, Stack, provision
from tests.helpers.aws import queue_arn


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[Stack]:
    """One provisioned moto stack for the module: provisioning costs far more than a request."""
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AWS_DEFAULT_REGION", REGION)
        environment.setenv("AWS_ACCESS_KEY_ID", "testing")
        environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield provision(name="cartflow-api-test")


@pytest.fixture(scope="module")
def shared_tap(shared_stack: Stack) -> str:
    """A queue receiving every event put on the bus (every envelope has version "0")."""
    sqs, events, bus = boto3.client("sqs"), boto3.client("events"), shared_stack.settings["EVENT_BUS_ARN"]
    url = sqs.create_queue(QueueName=f"{shared_stack.name}-tap")["QueueUrl"]
    events.put_rule(Name=f"{shared_stack.name}-tap", EventBusName=bus, EventPattern=json.dumps({"version": ["0"]}))
    events.put_targets(
        Rule=f"{shared_stack.name}-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn(url)}]
    )
    return url
