"""How checkout cancels without listing: the built design beside the two docs/capacity.md weighs it against.

Checkout used to list the user's schedules (ListSchedules, a per-account control-plane rate far
below the others), which capped checkouts. The handlers now keep a record of each user's pending
schedules (cartflow.pending) and checkout reads it. Each other design is the built calls with the
difference it makes, so the model and the price table weigh all of them alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from cartcapacity.calls import OPERATIONS, Call, Cart, deliveries, entry_calls, handler, operation_calls
from cartcapacity.consumption import per_operation
from cartcapacity.environment import Environment, batch_seconds
from cartcapacity.model import CallsOf
from cartcost.assumptions import Assumptions
from cartcost.prices import PriceTable

# ListSchedules' page when the caller names no MaxResults: moto's 50 (AWS's default is unverified).
LIST_PAGE = 50


def listing(name: str, cart: Cart) -> list[Call]:
    """The earlier design: adds record nothing; checkout lists the user's schedules a page at a time."""
    calls = [call for call in operation_calls(name, cart) if call.action != "dynamodb:UpdateItem"]
    if name == "add":
        return calls
    if name == "checkout":
        pages = max(1, math.ceil(cart.items / LIST_PAGE))
        actor = handler(name)
        return [*calls, Call(actor, "dynamodb:UpdateItem", 1), Call(actor, "scheduler:ListSchedules", pages)]
    return operation_calls(name, cart)


def drop_at_send(name: str, cart: Cart) -> list[Call]:
    """Checkout only records itself; each item's schedule still fires, and send_reminder drops its reminder.

    The fired schedules of a checked-out cart are the checkout's doing, so their calls count as
    the checkout's: Scheduler's invocation, the bus, the queue, send_reminder's read of the record.
    Adds record nothing, as in the earlier design.
    """
    calls = listing(name, cart)
    check = Call(handler("reminder"), "dynamodb:GetItem", 1)
    if name == "reminder":
        return [*calls, check]
    if name == "checkout":
        kept = [call for call in calls if not call.action.startswith("scheduler:")]
        reminder = OPERATIONS["reminder"]
        dropped = [*entry_calls(reminder), *deliveries(reminder.events[0]), check]
        return kept + [replace(call, count=call.count * cart.items) for call in dropped]
    return calls


@dataclass(frozen=True)
class Design:
    name: str
    summary: str
    calls_of: CallsOf


# The built design first: the others are weighed against it.
DESIGNS = (
    Design(
        "pending record (built)",
        "schedule_reminder records each schedule's name on its user's record; checkout reads it instead of listing",
        operation_calls,
    ),
    Design("listing (before)", "checkout lists the user's schedules, then reads and deletes each", listing),
    Design(
        "drop at send",
        "checkout only records itself; the schedules fire and send_reminder drops a checked-out cart's reminders",
        drop_at_send,
    ),
)
# The price of each call that is billed by the call (rule deliveries and Scheduler's API are not).
PRICE_KEYS = {
    "events:PutEvents": "eventbridge_custom_event",
    "scheduler:Invocation": "scheduler_invocation",
    "sqs:SendMessage": "sqs_request",
    "sqs:ReceiveMessage": "sqs_request",
    "sqs:DeleteMessageBatch": "sqs_request",
    "lambda:InvokeAsync": "lambda_request",
    "lambda:InvokeBatch": "lambda_request",
    "dynamodb:GetItem": "dynamodb_read_request_unit",
    "dynamodb:PutItem": "dynamodb_write_request_unit",
    "dynamodb:UpdateItem": "dynamodb_write_request_unit",
    "ses:SendEmail": "ses_email",
}


def call_cost(call: Call, environment: Environment, assumptions: Assumptions, prices: PriceTable) -> float:
    """Dollars of one operation's such calls, with the run time of an invoked function."""
    count = per_operation(call, environment)
    if call.action == "apigateway:Request":
        return prices[f"api_{environment.deployed.api}_request"].of(count)
    cost = prices[PRICE_KEYS[call.action]].of(count) if call.action in PRICE_KEYS else 0.0
    if call.action.startswith("lambda:Invoke"):
        function = environment.deployed.functions[call.target]
        records = environment.deployed.queues[call.batch_of].batch_size if call.batch_of else 1
        gb_seconds = count * batch_seconds(assumptions, call.target, records) * function.memory_mb / 1024
        cost += prices[f"lambda_gb_second_{function.architecture}"].of(gb_seconds)
    return cost


def cost_per_million_adds(
    design: Design, shares: dict[str, float], cart: Cart, environment: Environment, prices: PriceTable
) -> float:
    """Dollars of every billed call a million adds bring in this shape (removals, checkouts, reminders)."""
    assumptions = Assumptions()
    return sum(
        shares[name]
        * 1_000_000
        * sum(call_cost(call, environment, assumptions, prices) for call in design.calls_of(name, cart))
        for name in OPERATIONS
    )
