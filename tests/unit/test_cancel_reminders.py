"""cancel_reminders against moto: removal and checkout delete reminders, and only the right ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from cartflow import cancellations, contract, schedules
from cartflow.parsing import InvalidEventError
from cartlocal.apigateway.http_api import LocalHttpApi
from cartlocal.apigateway.rest_api import LocalRestApi
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from tests.helpers.aws import after_call, aws_error, before_call
from tests.helpers.aws_calls import AwsCalls
from tests.helpers.events import cart_detail, deliver, routed_envelopes
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.metrics import emitted_metrics

CONTEXT = FakeLambdaContext("cancel_reminders")
ADD_CONTEXT = FakeLambdaContext("schedule_reminder")


def pending_names(stack: Any, user: str) -> set[str]:
    """The schedule names the user's record holds (the attributes named like the user's schedules)."""
    key = {"id": {"S": cancellations.CHECKED_OUT_PREFIX + schedules.user_prefix(user)}}
    item = boto3.client("dynamodb").get_item(TableName=stack.settings["IDEMPOTENCY_TABLE"], Key=key).get("Item", {})
    return {name for name in item if name.startswith(schedules.user_prefix(user))}


def schedule_names(stack: Any) -> set[str]:
    listed = boto3.client("scheduler").list_schedules(GroupName=stack.settings["SCHEDULE_GROUP"])
    return {item["Name"] for item in listed["Schedules"]}


@pytest.fixture
def add(stack: Any, load_function: Any) -> Any:
    scheduler_app = load_function("schedule_reminder")

    def add_item(user: str, product: str, occurred_at: str = "2030-01-01T10:00:00Z") -> str:
        detail = cart_detail("ItemAddedToCart", user=user, product=product, occurred_at=occurred_at)
        scheduler_app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), ADD_CONTEXT)
        return schedules.schedule_name(user, product)

    return add_item


def test_removal_deletes_that_items_schedule_only(stack: Any, load_function: Any, add: Any) -> None:
    removed, kept = add("ada", "p1"), add("ada", "p2")
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T11:00:00Z")
    result = app.handler(deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail), CONTEXT)
    assert result["outcomes"] == {removed: "deleted"}
    assert schedule_names(stack) == {kept}


def test_removal_of_an_item_without_schedule_is_success(stack: Any, load_function: Any) -> None:
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", user="ada", product="never-added")
    envelope = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail)
    assert app.handler(envelope, CONTEXT)["outcomes"] == {schedules.schedule_name("ada", "never-added"): "absent"}
    assert app.handler(envelope, CONTEXT)["outcomes"] == {schedules.schedule_name("ada", "never-added"): "absent"}


def test_checkout_deletes_all_of_the_users_schedules_and_no_one_elses(stack: Any, load_function: Any, add: Any) -> None:
    ada = {add("ada", f"p{i}") for i in range(3)}
    bob = add("bob", "p1")
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    result = app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CONTEXT)
    assert result["outcomes"] == dict.fromkeys(ada, "deleted")
    assert schedule_names(stack) == {bob}


def test_checkout_never_lists_the_group(stack: Any, load_function: Any, add: Any, aws_calls: AwsCalls) -> None:
    add("ada", "p1")
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CONTEXT)
    assert "scheduler:ListSchedules" not in {call.action for call in aws_calls.of("cancel_reminders")}


def test_checkout_cancels_every_schedule_of_a_big_cart_and_forgets_them(
    stack: Any, load_function: Any, add: Any
) -> None:
    # More schedules than one ListSchedules page (50), which the earlier design had to follow.
    names = {add("ada", f"p{i}") for i in range(51)}
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    result = app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CONTEXT)
    assert result["outcomes"] == dict.fromkeys(names, "deleted")
    assert schedule_names(stack) == set()
    assert pending_names(stack, "ada") == set()


def test_a_checkout_processed_while_an_older_add_creates_its_schedule_still_cancels_it(
    stack: Any, load_function: Any
) -> None:
    # The add passed its check of the records, then the checkout ran before its schedule existed:
    # the checkout finds nothing to delete, so the add must see the checkout once it has created.
    scheduler_app, cancel_app = load_function("schedule_reminder"), load_function("cancel_reminders")
    checkout = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    checkout_envelope = deliver(stack, "cancel_reminders", "CartCheckedOut", checkout)
    add = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00Z")
    add_envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", add)
    with before_call(scheduler_app.scheduler, "CreateSchedule", lambda: cancel_app.handler(checkout_envelope, CONTEXT)):
        assert scheduler_app.handler(add_envelope, ADD_CONTEXT)["outcome"] == "cancelled"
    assert schedule_names(stack) == set()


def test_a_checkout_processed_after_an_add_recorded_its_schedule_cancels_it(stack: Any, load_function: Any) -> None:
    scheduler_app, cancel_app = load_function("schedule_reminder"), load_function("cancel_reminders")
    checkout = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    checkout_envelope = deliver(stack, "cancel_reminders", "CartCheckedOut", checkout)
    add = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00Z")
    add_envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", add)
    with after_call(scheduler_app.records, "UpdateItem", lambda: cancel_app.handler(checkout_envelope, CONTEXT)):
        assert scheduler_app.handler(add_envelope, ADD_CONTEXT)["outcome"] == "created"
    assert schedule_names(stack) == set()


def test_an_add_retried_after_its_record_failed_removes_the_schedule_a_checkout_could_not_find(
    stack: Any, load_function: Any
) -> None:
    scheduler_app, cancel_app = load_function("schedule_reminder"), load_function("cancel_reminders")
    add = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00Z")
    add_envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", add)
    with (
        aws_error(scheduler_app.records, "UpdateItem", "InternalServerError", 500),
        pytest.raises(scheduler_app.records.exceptions.InternalServerError),
    ):
        scheduler_app.handler(add_envelope, ADD_CONTEXT)
    checkout = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    cancel_app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", checkout), CONTEXT)
    assert len(schedule_names(stack)) == 1, "the checkout cannot see a schedule its add never recorded"
    # Lambda's retry of the add finds the checkout, and removes what its first attempt created.
    assert scheduler_app.handler(add_envelope, ADD_CONTEXT)["outcome"] == "cancelled"
    assert schedule_names(stack) == set()


def test_a_checkout_keeps_the_record_of_a_schedule_a_newer_add_owns(stack: Any, load_function: Any, add: Any) -> None:
    name = add("ada", "p1", occurred_at="2030-01-01T12:00:00Z")
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    assert app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CONTEXT)["outcomes"] == {
        name: "kept"
    }
    # A later checkout must still find it.
    assert pending_names(stack, "ada") == {name}


def test_late_removal_keeps_a_schedule_added_after_it(stack: Any, load_function: Any, add: Any) -> None:
    name = add("ada", "p1", occurred_at="2030-01-01T12:00:00Z")
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T11:00:00Z")
    assert app.handler(deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail), CONTEXT)["outcomes"] == {
        name: "kept"
    }
    assert schedule_names(stack) == {name}


def test_a_removal_half_a_second_after_the_add_deletes_it(stack: Any, load_function: Any, add: Any) -> None:
    # As strings "12:00:00.500Z" < "12:00:00Z"; as times the removal is the later one.
    name = add("ada", "p1", occurred_at="2030-01-01T12:00:00Z")
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T12:00:00.500Z")
    assert app.handler(deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail), CONTEXT)["outcomes"] == {
        name: "deleted"
    }


@pytest.mark.parametrize("detail_type", ["ItemRemovedFromCart", "CartCheckedOut"])
def test_a_field_a_newer_producer_added_is_ignored(stack: Any, load_function: Any, add: Any, detail_type: str) -> None:
    name = add("ada", "p1")
    app = load_function("cancel_reminders")
    fields = {"user": "ada", "occurred_at": "2030-01-01T11:00:00Z", "reason": "changed my mind"}
    detail = cart_detail(detail_type, **fields, **({"product": "p1"} if detail_type == "ItemRemovedFromCart" else {}))
    result = app.handler(deliver(stack, "cancel_reminders", detail_type, detail), CONTEXT)
    assert result["outcomes"] == {name: "deleted"}


def test_unknown_detail_type_is_rejected_and_counted(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function("cancel_reminders")
    envelope = deliver(stack, "cancel_reminders", "CartCheckedOut", cart_detail("CartCheckedOut"))
    with pytest.raises(InvalidEventError, match="detail-type"):
        app.handler({**envelope, "detail-type": "SomethingElse"}, CONTEXT)
    assert emitted_metrics(capsys.readouterr().out).get("InvalidEvents") == 1


def test_invalid_detail_is_rejected_naming_the_field(stack: Any, load_function: Any, add: Any) -> None:
    add("ada", "p1")
    app = load_function("cancel_reminders")
    envelope = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", cart_detail("ItemRemovedFromCart"))
    detail = {key: value for key, value in envelope["detail"].items() if key != "product"}
    with pytest.raises(InvalidEventError, match=r"detail\.product"):
        app.handler({**envelope, "detail": detail}, CONTEXT)
    assert len(schedule_names(stack)) == 1


def test_scheduler_outage_propagates_so_lambda_retries(stack: Any, load_function: Any, add: Any) -> None:
    name = add("ada", "p1")
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T11:00:00Z")
    envelope = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail)
    with (
        aws_error(app.scheduler, "DeleteSchedule", "InternalServerException", 500),
        pytest.raises(app.scheduler.exceptions.InternalServerException),
    ):
        app.handler(envelope, CONTEXT)
    assert schedule_names(stack) == {name}
    assert app.handler(envelope, CONTEXT)["outcomes"] == {name: "deleted"}


@pytest.mark.parametrize("detail_type", ["ItemRemovedFromCart", "CartCheckedOut"])
def test_the_removal_or_checkout_is_remembered_even_when_deleting_the_schedule_fails(
    stack: Any, load_function: Any, add: Any, detail_type: str
) -> None:
    name = add("ada", "p1", occurred_at="2030-01-01T10:00:00Z")
    app = load_function("cancel_reminders")
    fields = {"user": "ada", "occurred_at": "2030-01-01T11:00:00Z"}
    cancel = cart_detail(detail_type, **fields, **({"product": "p1"} if detail_type == "ItemRemovedFromCart" else {}))
    with (
        aws_error(app.scheduler, "DeleteSchedule", "InternalServerException", 500),
        pytest.raises(app.scheduler.exceptions.InternalServerException),
    ):
        app.handler(deliver(stack, "cancel_reminders", detail_type, cancel), CONTEXT)
    assert schedule_names(stack) == {name}, "the failed deletion left the schedule for Lambda's retry"
    # Until that retry, a late copy of the older add must still lose to the removal or checkout.
    late = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00Z")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", late)
    assert load_function("schedule_reminder").handler(envelope, ADD_CONTEXT)["outcome"] == "cancelled"
    assert schedule_names(stack) == set(), "the late add found the schedule no older than it, and removed it"


def test_a_retried_checkout_still_finds_the_schedules_its_first_attempt_recorded(
    stack: Any, load_function: Any, add: Any
) -> None:
    name = add("ada", "p1")
    app = load_function("cancel_reminders")
    checkout = cart_detail("CartCheckedOut", user="ada", occurred_at="2030-01-01T11:00:00Z")
    envelope = deliver(stack, "cancel_reminders", "CartCheckedOut", checkout)
    with (
        aws_error(app.scheduler, "DeleteSchedule", "InternalServerException", 500),
        pytest.raises(app.scheduler.exceptions.InternalServerException),
    ):
        app.handler(envelope, CONTEXT)
    # Lambda's retry records nothing new (the same checkout is recorded) but reads the same record.
    assert app.handler(envelope, CONTEXT)["outcomes"] == {name: "deleted"}
    assert schedule_names(stack) == set()
    assert pending_names(stack, "ada") == set()


def test_a_removal_and_a_re_add_in_the_same_second_keep_their_order_when_delivered_out_of_it(
    stack: Any, load_function: Any
) -> None:
    # Through the real request template: occurred_at is the request's own time, to the millisecond.
    moments = iter(datetime(2030, 1, 1, 10, 0, 0, ms * 1000, tzinfo=UTC) for ms in (100, 400, 700))
    api = LocalRestApi(
        boto3.client("events"), stack.settings["EVENT_BUS_ARN"], REGION, ACCOUNT_ID, clock=lambda: next(moments)
    )
    routes = {route["detail_type"]: route for route in contract.routes()}
    item = {"user": "ada", "product": "p1"}
    for detail_type, body in (
        ("ItemAddedToCart", {**item, "email": "ada@example.com"}),
        ("ItemRemovedFromCart", item),
        ("ItemAddedToCart", {**item, "email": "ada@example.com"}),
    ):
        route = routes[detail_type]
        response = api.handle(
            route["method"], route["path"], {"Content-Type": "application/json"}, json.dumps(body).encode()
        )
        assert response.status == 200
    first_add, re_add = routed_envelopes(stack, "schedule_reminder")
    [removal] = routed_envelopes(stack, "cancel_reminders")
    assert [e["detail"]["occurred_at"] for e in (first_add, removal, re_add)] == [
        "2030-01-01T10:00:00.100Z",
        "2030-01-01T10:00:00.400Z",
        "2030-01-01T10:00:00.700Z",
    ]
    # Delivered out of order: both adds first, the removal last.
    scheduler_app = load_function("schedule_reminder")
    assert scheduler_app.handler(first_add, ADD_CONTEXT)["outcome"] == "created"
    assert scheduler_app.handler(re_add, ADD_CONTEXT)["outcome"] == "retimed"
    name = schedules.schedule_name("ada", "p1")
    assert load_function("cancel_reminders").handler(removal, CONTEXT)["outcomes"] == {name: "kept"}
    assert schedule_names(stack) == {name}


def http_api_events(stack: Any, *requests: tuple[str, datetime]) -> list[dict[str, Any]]:
    """The envelopes of cart requests made through the HTTP API at the given moments, in request order."""
    moments = iter(moment for _, moment in requests)
    api = LocalHttpApi(boto3.client("events"), stack.settings["EVENT_BUS_ARN"], clock=lambda: next(moments))
    routes = {route["detail_type"]: route for route in contract.routes()}
    item = {"user": "ada", "product": "p1"}
    bodies = {"ItemAddedToCart": {**item, "quantity": 1, "email": "ada@example.com"}, "ItemRemovedFromCart": item}
    for detail_type, _ in requests:
        route = routes[detail_type]
        response = api.handle(route["method"], route["path"], {}, json.dumps(bodies[detail_type]).encode())
        assert (response.status, response.json()["FailedEntryCount"]) == (200, 0)
    adds = iter(routed_envelopes(stack, "schedule_reminder"))
    removals = iter(routed_envelopes(stack, "cancel_reminders"))
    return [next(adds if detail_type == "ItemAddedToCart" else removals) for detail_type, _ in requests]


def test_http_api_events_carry_clf_request_times_and_follow_the_same_rules(stack: Any, load_function: Any) -> None:
    added, removed, re_added = http_api_events(
        stack,
        ("ItemAddedToCart", datetime(2030, 1, 1, 10, 0, 0, 100_000, tzinfo=UTC)),
        ("ItemRemovedFromCart", datetime(2030, 1, 1, 10, 0, 1, 400_000, tzinfo=UTC)),
        ("ItemAddedToCart", datetime(2030, 1, 1, 10, 0, 2, 700_000, tzinfo=UTC)),
    )
    # The only request time the HTTP API's mapping has: CLF, whole seconds.
    assert [e["detail"]["occurred_at"] for e in (added, removed, re_added)] == [
        "01/Jan/2030:10:00:00 +0000",
        "01/Jan/2030:10:00:01 +0000",
        "01/Jan/2030:10:00:02 +0000",
    ]
    scheduler_app, cancel_app = load_function("schedule_reminder"), load_function("cancel_reminders")
    name = schedules.schedule_name("ada", "p1")
    assert scheduler_app.handler(added, ADD_CONTEXT)["outcome"] == "created"
    # What the schedule carries is written in the contract's own ISO form.
    scheduled = boto3.client("scheduler").get_schedule(Name=name, GroupName=stack.settings["SCHEDULE_GROUP"])
    assert json.loads(scheduled["Target"]["Input"])["added_at"] == "2030-01-01T10:00:00Z"
    assert cancel_app.handler(removed, CONTEXT)["outcomes"] == {name: "deleted"}
    assert scheduler_app.handler(re_added, ADD_CONTEXT)["outcome"] == "created"


def test_http_api_a_re_add_in_the_same_second_as_the_removal_loses_to_it(stack: Any, load_function: Any) -> None:
    # Whole seconds cannot order a removal and a re-add within one second: the tie goes to the
    # removal, so the re-added item gets no reminder (the REST API's milliseconds would order them).
    added, removed, re_added = http_api_events(
        stack,
        ("ItemAddedToCart", datetime(2030, 1, 1, 10, 0, 0, 100_000, tzinfo=UTC)),
        ("ItemRemovedFromCart", datetime(2030, 1, 1, 10, 0, 1, 100_000, tzinfo=UTC)),
        ("ItemAddedToCart", datetime(2030, 1, 1, 10, 0, 1, 900_000, tzinfo=UTC)),
    )
    scheduler_app, cancel_app = load_function("schedule_reminder"), load_function("cancel_reminders")
    name = schedules.schedule_name("ada", "p1")
    assert scheduler_app.handler(added, ADD_CONTEXT)["outcome"] == "created"
    assert cancel_app.handler(removed, CONTEXT)["outcomes"] == {name: "deleted"}
    assert scheduler_app.handler(re_added, ADD_CONTEXT)["outcome"] == "cancelled"
    assert schedule_names(stack) == set()


@pytest.mark.parametrize("detail_type", ["ItemRemovedFromCart", "CartCheckedOut"])
def test_a_late_copy_of_an_older_add_after_the_removal_or_checkout_schedules_nothing(
    stack: Any, load_function: Any, detail_type: str
) -> None:
    add = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00.100Z")
    add_copy = deliver(stack, "schedule_reminder", "ItemAddedToCart", add)
    fields = {"user": "ada", "occurred_at": "2030-01-01T10:00:00.400Z"}
    cancel = cart_detail(detail_type, **fields, **({"product": "p1"} if detail_type == "ItemRemovedFromCart" else {}))
    # The removal or checkout is processed first; the add's copy arrives after it.
    load_function("cancel_reminders").handler(deliver(stack, "cancel_reminders", detail_type, cancel), CONTEXT)
    scheduler_app = load_function("schedule_reminder")
    assert scheduler_app.handler(add_copy, ADD_CONTEXT)["outcome"] == "cancelled"
    assert schedule_names(stack) == set()
    # An add made after the removal or checkout is a new intent: it is scheduled.
    later = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:00.700Z")
    assert (
        scheduler_app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", later), ADD_CONTEXT)["outcome"]
        == "created"
    )


def test_a_late_copy_of_an_older_removal_does_not_forget_a_newer_one(stack: Any, load_function: Any) -> None:
    app = load_function("cancel_reminders")
    newer = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:05Z")
    older = cart_detail("ItemRemovedFromCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:01Z")
    for detail in (newer, older):
        app.handler(deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail), CONTEXT)
    between = cart_detail("ItemAddedToCart", user="ada", product="p1", occurred_at="2030-01-01T10:00:03Z")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", between)
    assert load_function("schedule_reminder").handler(envelope, ADD_CONTEXT)["outcome"] == "cancelled"
