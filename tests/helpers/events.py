"""Cart events on the moto stack's bus, and what its rules routed to each function."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3

from cartflow import timestamps
from cartlocal.lambda_runtime.envelopes import restore_eventbridge_envelope, sqs_event
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION, Stack
from tests.helpers.aws import drain, queue_arn


def cart_detail(detail_type: str, **fields: Any) -> dict[str, Any]:
    """A valid detail of ``detail_type`` as the API would emit it."""
    bases: dict[str, dict[str, Any]] = {
        "ItemAddedToCart": {"user": "ada@example.com", "product": "sku:42", "quantity": 2, "email": "ada@example.com"},
        "ItemRemovedFromCart": {"user": "ada@example.com", "product": "sku:42"},
        "CartCheckedOut": {"user": "ada@example.com"},
    }
    return {**bases[detail_type], "request_id": str(uuid.uuid4()), "occurred_at": timestamps.now(), **fields}


def valid_detail(detail_type: str) -> dict[str, Any]:
    """A valid detail of any event on the bus (the cart's as the API emits them)."""
    if detail_type in {"ItemAddedToCart", "ItemRemovedFromCart", "CartCheckedOut"}:
        return cart_detail(detail_type)
    reminder = {"user": "ada", "product": "sku:42", "reminder_id": uuid.uuid4().hex, "request_id": str(uuid.uuid4())}
    if detail_type == "CartReminderDue":
        return {
            **reminder,
            "quantity": 1,
            "email": "ada@example.com",
            "scheduled_event": True,
            "added_at": timestamps.now(),
        }
    return {**reminder, "message_id": "m-1", "sent_at": timestamps.now()}


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


def routed_envelopes(stack: Stack, function_name: str) -> list[dict[str, Any]]:
    """EventBridge envelopes moto routed to ``function_name``'s rule, as Lambda would get them."""
    return [
        json.loads(restore_eventbridge_envelope(message["Body"], ACCOUNT_ID))
        for message in drain(stack.lambda_delivery_queues[function_name])
    ]


def deliver(stack: Stack, function_name: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """Publish a cart event on the bus and return the one envelope routed to ``function_name``."""
    return deliver_to(stack, function_name, "cartflow.cart", detail_type, detail)


def deliver_to(
    stack: Stack, function_name: str, source: str, detail_type: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """Publish an event on the bus and return the one envelope routed to ``function_name``."""
    publish(stack, source, detail_type, detail)
    envelopes = routed_envelopes(stack, function_name)
    assert len(envelopes) == 1, f"{detail_type} routed {len(envelopes)} times to {function_name}"
    return envelopes[0]


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


def fire_schedules(stack: Stack) -> None:
    """Put each schedule's target event on the bus, as Scheduler would (moto never fires)."""
    scheduler, events = boto3.client("scheduler"), boto3.client("events")
    group = stack.settings["SCHEDULE_GROUP"]
    for item in scheduler.list_schedules(GroupName=group)["Schedules"]:
        target = scheduler.get_schedule(Name=item["Name"], GroupName=group)["Target"]
        parameters = target["EventBridgeParameters"]
        response = events.put_events(
            Entries=[
                {
                    "EventBusName": target["Arn"],
                    "Source": parameters["Source"],
                    "DetailType": parameters["DetailType"],
                    "Detail": target["Input"],
                }
            ]
        )
        assert response["FailedEntryCount"] == 0
