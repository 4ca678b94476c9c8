"""The AWS calls one operation makes: the handler's own, and those of the services around it.

An operation is one add, removal or checkout through the API, or one reminder Scheduler fires.
The handlers' calls are listed for their common path (a fresh add; a removal or checkout of items
that have schedules; a reminder emailed) exactly as tests/unit/test_capacity_calls.py records
them against moto, so a handler that starts making another call fails that test until this list
(and so the model) says so. The calls around the handler are derived from the contract: the route
that puts the event, the rules whose patterns match it and their targets, Scheduler's target,
and the event source mapping's batch size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cartflow import contract
from cartflow.pending import FORGET_CHUNK


@dataclass(frozen=True)
class Operation:
    name: str
    # What starts it: a request to the API, or a schedule firing.
    entry: str
    # Detail-types it puts on the bus, the entry's first; each is delivered to every matching rule,
    # and the function the first one invokes is the handler whose calls handler_calls lists.
    events: tuple[str, ...]


OPERATIONS = {
    operation.name: operation
    for operation in (
        Operation("add", "api", ("ItemAddedToCart",)),
        Operation("removal", "api", ("ItemRemovedFromCart",)),
        Operation("checkout", "api", ("CartCheckedOut",)),
        Operation("reminder", "scheduler", ("CartReminderDue", "CartReminderSent")),
    )
}


# How a function is run: asynchronously by a rule, or with a batch by an event source mapping.
INVOCATIONS = ("lambda:InvokeAsync", "lambda:InvokeBatch")


@dataclass(frozen=True)
class Call:
    """``count`` calls of ``action`` by ``actor`` per operation; ``target`` names an invoked function.

    With ``batch_of`` (a queue), ``count`` is per batch of that queue's event source mapping: one
    message's share is ``count`` over the environment's batch size (cartcapacity.consumption).
    """

    actor: str
    action: str
    count: float
    target: str = ""
    batch_of: str = ""


@dataclass(frozen=True)
class Cart:
    """What a checkout cancels: its items' schedules."""

    items: int


def handler_calls(operation: str, cart: Cart) -> dict[str, int]:
    """The handler's AWS calls for one ``operation`` on its common path, by IAM action."""
    if operation == "add":
        # The removal and checkout records read (a fresh add skips the newest-reminded read), one
        # create, the removal record read again (a removal handled meanwhile), then the schedule
        # recorded on its user's record (cartflow.pending).
        return {"dynamodb:GetItem": 3, "scheduler:CreateSchedule": 1, "dynamodb:UpdateItem": 1}
    if operation == "removal":
        # The removal recorded, the item's schedule read (to keep a newer add's) and deleted.
        return {"dynamodb:UpdateItem": 1, "scheduler:GetSchedule": 1, "scheduler:DeleteSchedule": 1}
    if operation == "checkout":
        # The checkout recorded, answering the user's pending schedules; each read and deleted;
        # the cancelled ones forgotten (one write per hundred, cartflow.pending.FORGET_CHUNK).
        return {
            "dynamodb:UpdateItem": 1 + math.ceil(cart.items / FORGET_CHUNK),
            "scheduler:GetSchedule": cart.items,
            "scheduler:DeleteSchedule": cart.items,
        }
    if operation == "reminder":
        # The newest-reminded claim; Powertools' record of each idempotent unit (put, then updated
        # with its result) for the email and the announcement; the email; CartReminderSent.
        return {"dynamodb:UpdateItem": 3, "dynamodb:PutItem": 2, "ses:SendEmail": 1, "events:PutEvents": 1}
    raise KeyError(f"unknown operation {operation!r} (one of: {', '.join(OPERATIONS)})")


def matches(pattern: dict[str, Any], source: str, detail_type: str) -> bool:
    """Whether a rule's pattern takes an event of this source and detail-type.

    Only the source and detail-type are compared: the contract's detail filters (reminder_due's
    scheduled_event) always hold for the events the code itself puts.
    """
    return source in pattern.get("source", [source]) and detail_type in pattern.get("detail-type", [detail_type])


def deliveries(detail_type: str) -> list[Call]:
    """What the bus does with one event: an invocation per matching rule, and its target's call."""
    source = contract.event_type(detail_type)["source"]
    calls = []
    for name, rule in contract.stack()["rules"].items():
        if not matches(contract.rule_pattern(name), source, detail_type):
            continue
        calls.append(Call("eventbridge", "events:Invocation", 1))
        target = rule["target"]
        if target["type"] == "lambda":
            calls.append(Call("eventbridge", "lambda:InvokeAsync", 1, target["function"]))
        else:
            calls.append(Call("eventbridge", "sqs:SendMessage", 1))
            calls.extend(polled(target["queue"]))
    return calls


def polled(queue: str) -> list[Call]:
    """The event source mapping's calls for a full batch: receive, invoke, delete."""
    consumer = contract.stack()["queues"][queue]["consumer"]
    return [
        Call("lambda", "sqs:ReceiveMessage", 1, batch_of=queue),
        Call("lambda", "lambda:InvokeBatch", 1, consumer, batch_of=queue),
        Call("lambda", "sqs:DeleteMessageBatch", 1, batch_of=queue),
    ]


def entry_calls(operation: Operation) -> list[Call]:
    """How the operation's first event reaches the bus: the API route's PutEvents, or Scheduler's."""
    detail_type = operation.events[0]
    if operation.entry == "api":
        [route] = [route for route in contract.routes() if route["detail_type"] == detail_type]
        request = Call("api", "apigateway:Request", 1, f"{route['method']} {route['path']}")
        return [request, Call("api", "events:PutEvents", 1)]
    return [Call("scheduler", "scheduler:Invocation", 1), Call("scheduler", "events:PutEvents", 1)]


def handler(name: str) -> str:
    """The function the operation's first event invokes, through a rule or a queue."""
    [function] = {call.target for call in deliveries(OPERATIONS[name].events[0]) if call.action in INVOCATIONS}
    return function


def operation_calls(name: str, cart: Cart) -> list[Call]:
    """Every call one operation makes, in the order it flows: entry, bus, handler."""
    operation = OPERATIONS[name]
    calls = entry_calls(operation)
    for detail_type in operation.events:
        calls.extend(deliveries(detail_type))
    calls.extend(Call(handler(name), action, count) for action, count in handler_calls(name, cart).items())
    return calls
