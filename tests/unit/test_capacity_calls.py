"""The handlers' calls the capacity model counts are the calls they make against moto.

Each operation runs its handler (the function the contract routes its event to) on the moto
stack, and what the handler called (tests.helpers.aws_calls) must be exactly what
cartcapacity.calls lists for that operation: a handler that makes another call, or one fewer,
fails here until the model counts it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cartcapacity import calls
from cartcapacity.calls import Cart
from cartflow import pacing
from tests.helpers.aws_calls import AwsCalls
from tests.helpers.events import cart_detail, deliver, fire_schedules, receive_as_lambda_event
from tests.helpers.lambda_context import FakeLambdaContext


def run(stack: Any, load_function: Any, operation: str, **fields: Any) -> dict[str, Any]:
    """Deliver one cart event of ``operation`` to the function the contract routes it to."""
    name = calls.handler(operation)
    [detail_type] = calls.OPERATIONS[operation].events
    envelope = deliver(stack, name, detail_type, cart_detail(detail_type, **fields))
    result: dict[str, Any] = load_function(name).handler(envelope, FakeLambdaContext(name))
    return result


def recorded(aws_calls: AwsCalls, operation: str, since: int = 0) -> Counter[str]:
    return Counter(call.action for call in aws_calls.of(calls.handler(operation))[since:])


def add_items(stack: Any, load_function: Any, *products: str) -> None:
    for product in products:
        assert run(stack, load_function, "add", product=product)["outcome"] == "created"


def test_an_add_makes_the_calls_the_model_counts(stack: Any, load_function: Any, aws_calls: AwsCalls) -> None:
    add_items(stack, load_function, "sku:1")
    assert recorded(aws_calls, "add") == Counter(calls.handler_calls("add", Cart(1)))


def test_a_removal_makes_the_calls_the_model_counts(stack: Any, load_function: Any, aws_calls: AwsCalls) -> None:
    add_items(stack, load_function, "sku:1")
    outcomes = run(stack, load_function, "removal", product="sku:1")["outcomes"]
    assert list(outcomes.values()) == ["deleted"]
    assert recorded(aws_calls, "removal") == Counter(calls.handler_calls("removal", Cart(1)))


@pytest.mark.parametrize("items", [1, 3])
def test_a_checkout_makes_the_calls_the_model_counts(
    stack: Any, load_function: Any, aws_calls: AwsCalls, items: int
) -> None:
    add_items(stack, load_function, *(f"sku:{index}" for index in range(items)))
    outcomes = run(stack, load_function, "checkout")["outcomes"]
    assert list(outcomes.values()) == ["deleted"] * items
    assert recorded(aws_calls, "checkout") == Counter(calls.handler_calls("checkout", Cart(items)))


def test_a_reminder_makes_the_calls_the_model_counts(stack: Any, load_function: Any, aws_calls: AwsCalls) -> None:
    add_items(stack, load_function, "sku:1")
    fire_schedules(stack)
    name = calls.handler("reminder")
    queue = pacing.consumed_by(name)
    event = receive_as_lambda_event(stack.queue_urls[queue])
    assert load_function(name).handler(event, FakeLambdaContext(name)) == {"batchItemFailures": []}
    assert recorded(aws_calls, "reminder") == Counter(calls.handler_calls("reminder", Cart(1)))
