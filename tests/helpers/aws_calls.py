"""The AWS calls each handler under test makes, and the ones its Terraform policy would deny.

Handlers create their boto3 clients at import from boto3's default session, as they do in Lambda.
The ``load_function`` fixture imports each handler while a fresh default session is watched by
an ``AwsCalls``, so exactly the handler's own calls are recorded (never the test's set-up or
checks), whatever other tests ran before in the process. A call is recorded when botocore
receives its parameters, so a call whose answer a test injects (tests.helpers.aws.aws_error)
counts too: the handler still needs the permission to make it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from tests.helpers.iam_policy import Request, denied_requests, function_policy, requests_of


@dataclass(frozen=True)
class AwsCall:
    """One API call a handler made: who, which operation, with which request parameters."""

    function: str
    operation: str
    action: str
    params: dict[str, Any]


class AwsCalls:
    """Every call of the handlers watched in one test, in the order they were made."""

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []

    def watch(self, session: boto3.session.Session, function_name: str) -> None:
        """Record the calls of every client ``session`` creates from now on as ``function_name``'s."""

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            # The IAM prefix is the signing name (sesv2 signs as "ses"); the action is the operation.
            action = f"{model.service_model.signing_name}:{model.name}"
            self.calls.append(AwsCall(function_name, model.name, action, copy.deepcopy(params)))

        # provide-client-params carries the caller's parameters before serialisation, and every
        # handler sees it (unlike before-call, where an injected answer stops the chain).
        session.events.register("provide-client-params", record)

    def of(self, function_name: str) -> list[AwsCall]:
        return [call for call in self.calls if call.function == function_name]

    def actions(self, function_name: str) -> set[str]:
        return {call.action for call in self.of(function_name)}


def denied_calls(
    calls: AwsCalls, policy_of: Callable[[str], dict[str, Any]] = function_policy
) -> dict[str, list[Request]]:
    """Per function, the authorizations its recorded calls need that its policy denies."""
    denied = {}
    for function_name in sorted({call.function for call in calls.calls}):
        requests = requests_of(function_name, calls.actions(function_name))
        if refused := denied_requests(policy_of(function_name), requests):
            denied[function_name] = refused
    return denied
