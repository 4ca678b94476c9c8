"""EventBridge delivering to SQS, authorized as AWS authorizes it (moto delivers inside PutEvents).

EventBridge sends to an SQS target as ``events.amazonaws.com`` with ``aws:SourceArn`` = the rule
and ``aws:SourceAccount``: the queue policy must allow it, and for a queue on a customer managed
key the key policy must let EventBridge use the key (EventBridge user guide, "Using resource-based
policies for Amazon EventBridge", SQS permissions; "Encrypting ... with AWS KMS" for the key).
:func:`authorize_deliveries` wraps moto's rule-to-queue delivery in the moto server's process;
a refused delivery does not reach the queue (AWS would retry it and then dead-letter it to the
rule's DLQ, which the local stack does not model) and is reported like any denial. Deliveries to
queues Terraform does not declare (the local stack's timeline tap) are the local stack's own and
pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.events.models import Rule

from cartlocal.iam.operations import Call, Needed
from cartlocal.iam.plane import Plane
from cartlocal.iam.policy import Principal

EVENTBRIDGE = Principal.service("events.amazonaws.com")


def authorize_deliveries(plane: Plane, report: Callable[[dict[str, str]], None]) -> None:
    """From now on, every rule's SQS delivery in this process is authorized by ``plane`` first."""
    deliver = Rule._send_to_sqs_queue  # moto's one delivery path to SQS

    def authorized(rule: Rule, resource_id: str, event: dict[str, Any], group_id: str | None = None) -> None:
        queue = f"arn:aws:sqs:{rule.region_name}:{rule.account_id}:{resource_id}"
        if plane.is_stack_queue(queue):
            call = Call("sqs", "SendMessage", (Needed("sqs:SendMessage", queue),), (queue,))
            context = {"aws:SourceArn": rule.arn, "aws:SourceAccount": rule.account_id}
            denial = plane.check(EVENTBRIDGE, call, context)
            if denial is not None:
                report(
                    {
                        "principal": EVENTBRIDGE.arn,
                        "action": denial.request.action,
                        "resource": denial.request.resource,
                        "via": f"delivery of rule {rule.arn}",
                        "message": f"EventBridge cannot deliver to {queue}: {denial.message}",
                    }
                )
                return
        deliver(rule, resource_id, event, group_id)

    Rule._send_to_sqs_queue = authorized  # type: ignore[method-assign, assignment]
