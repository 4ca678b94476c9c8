"""Fixtures of the local API tests: one provisioned moto stack per module, cleaned before each test."""

from __future__ import annotations

import boto3
import pytest

from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack
from tests.helpers.aws import drain
from tests.helpers.local_api import NOW, bus_events


@pytest.fixture
def tap(shared_tap: str) -> str:
    drain(shared_tap)
    return shared_tap


@pytest.fixture
def stack(shared_stack: Stack, tap: str) -> Stack:
    """The shared stack with nothing left on it from an earlier test."""
    bus_events(shared_stack)
    return shared_stack


@pytest.fixture
def api(stack: Stack) -> LocalRestApi:
    return LocalRestApi(boto3.client("events"), stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID, clock=lambda: NOW)
