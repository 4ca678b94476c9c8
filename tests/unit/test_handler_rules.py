"""The handlers' rules at their edges: exact requests, ties, every metric, failures AWS answers with 200.

Each test names the rule it protects. Where moto accepts a difference silently (an email's exact
text, a schedule's description, an expiry time), the request the handler sent is compared with
values written out here.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends

from cartflow import contract, schedules
from cartflow.models import ItemAdded, ReminderDue
from cartflow.parsing import InvalidEventError
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from tests.helpers.aws import aws_answer, requests_sent
from tests.helpers.events import cart_detail, deliver, publish, receive_as_lambda_event
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.metrics import emitted_metrics

SCHEDULE = FakeLambdaContext("schedule_reminder")
CANCEL = FakeLambdaContext("cancel_reminders")
SEND = FakeLambdaContext("send_reminder")
ADA_SKU_42 = "cart-b5fc85e55755f9e0d030-a393fcf856bca39befd8"


def add(stack: Any, app: Any, **fields: Any) -> dict[str, Any]:
    detail = cart_detail("ItemAddedToCart", **fields)
    result: dict[str, Any] = app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), SCHEDULE)
    return result


def schedule_input(stack: Any, name: str) -> dict[str, Any]:
    schedule = boto3.client("scheduler").get_schedule(Name=name, GroupName=stack.settings["SCHEDULE_GROUP"])
    result: dict[str, Any] = json.loads(schedule["Target"]["Input"])
    return result


# ---------------------------------------------------------------------------------- schedule_reminder


def test_the_schedule_request_is_exactly_the_contracts_schedule(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    detail = cart_detail("ItemAddedToCart", request_id="r-1", occurred_at="2030-01-01T10:00:00Z")
    reminder = schedules.reminder_for(ItemAdded.from_dict(detail))
    with requests_sent(app.scheduler, "CreateSchedule") as sent:
        app.handler(deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), SCHEDULE)
    retry = contract.stack()["scheduler"]["retry"]
    assert sent == [
        {
            "ClientToken": reminder.reminder_id,
            "Name": ADA_SKU_42,
            "GroupName": stack.settings["SCHEDULE_GROUP"],
            "ScheduleExpression": "at(2030-01-02T10:00:00)",
            "ScheduleExpressionTimezone": "UTC",
            "State": "ENABLED",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Description": f"cart reminder {reminder.reminder_id}",
            "Target": {
                "Arn": stack.settings["EVENT_BUS_ARN"],
                "RoleArn": stack.settings["SCHEDULER_ROLE_ARN"],
                "Input": reminder.to_json(),
                "EventBridgeParameters": {"DetailType": "CartReminderDue", "Source": "cartflow.reminders"},
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": retry["maximum_event_age_in_seconds"],
                    "MaximumRetryAttempts": retry["maximum_retry_attempts"],
                },
                "DeadLetterConfig": {"Arn": stack.settings["SCHEDULER_DLQ_ARN"]},
            },
        }
    ]


def test_each_scheduling_outcome_is_counted_once_under_its_own_metric(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    app = load_function("schedule_reminder")
    older = cart_detail("ItemAddedToCart", occurred_at="2030-01-01T10:00:00Z")
    newer = cart_detail("ItemAddedToCart", occurred_at="2030-01-01T11:00:00Z")
    capsys.readouterr()
    for detail, outcome in ((older, "created"), (older, "duplicate"), (newer, "retimed"), (older, "stale")):
        envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", detail)
        assert app.handler(envelope, SCHEDULE) == {"outcome": outcome, "schedule": ADA_SKU_42}
        assert emitted_metrics(capsys.readouterr().out) == {f"Schedules{outcome.capitalize()}": 1}


def test_an_add_at_the_same_instant_as_the_scheduled_one_retimes_it(stack: Any, load_function: Any) -> None:
    app = load_function("schedule_reminder")
    assert add(stack, app, request_id="first", occurred_at="2030-01-01T10:00:00Z")["outcome"] == "created"
    assert add(stack, app, request_id="second", occurred_at="2030-01-01T10:00:00Z")["outcome"] == "retimed"
    assert schedule_input(stack, ADA_SKU_42)["request_id"] == "second"


# ---------------------------------------------------------------------------------- cancel_reminders


def test_a_removal_at_the_same_instant_as_the_add_deletes_its_schedule(stack: Any, load_function: Any) -> None:
    add(stack, load_function("schedule_reminder"), occurred_at="2030-01-01T10:00:00Z")
    app = load_function("cancel_reminders")
    detail = cart_detail("ItemRemovedFromCart", occurred_at="2030-01-01T10:00:00Z")
    result = app.handler(deliver(stack, "cancel_reminders", "ItemRemovedFromCart", detail), CANCEL)
    assert result == {"outcomes": {ADA_SKU_42: "deleted"}}


def test_a_removal_stops_late_adds_of_that_item_only(stack: Any, load_function: Any) -> None:
    removal = cart_detail("ItemRemovedFromCart", occurred_at="2030-01-01T10:00:01Z")
    envelope = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", removal)
    load_function("cancel_reminders").handler(envelope, CANCEL)
    app = load_function("schedule_reminder")
    # Late copies of adds made before the removal: the removed item's stays cancelled, another item's is scheduled.
    assert add(stack, app, product="sku:43", occurred_at="2030-01-01T10:00:00Z")["outcome"] == "created"
    assert add(stack, app, occurred_at="2030-01-01T10:00:00Z")["outcome"] == "cancelled"


def test_schedules_deleted_counts_exactly_the_schedules_a_checkout_deleted(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    scheduler_app = load_function("schedule_reminder")
    for product, occurred_at in (("p1", "2030-01-01T10:00:00Z"), ("p2", "2030-01-01T10:00:00Z")):
        add(stack, scheduler_app, product=product, occurred_at=occurred_at)
    add(stack, scheduler_app, product="p3", occurred_at="2030-01-01T12:00:00Z")  # added after the checkout
    app = load_function("cancel_reminders")
    capsys.readouterr()
    detail = cart_detail("CartCheckedOut", occurred_at="2030-01-01T11:00:00Z")
    outcomes = app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CANCEL)["outcomes"]
    assert sorted(outcomes.values()) == ["deleted", "deleted", "kept"]
    assert emitted_metrics(capsys.readouterr().out) == {"SchedulesDeleted": 2}


# ---------------------------------------------------------------------------------- send_reminder


def due(stack: Any, request_id: str = "r-1") -> tuple[ReminderDue, dict[str, Any]]:
    """A CartReminderDue for ada's sku:42 as the reminders queue hands it to send_reminder."""
    reminder = schedules.reminder_for(ItemAdded.from_dict(cart_detail("ItemAddedToCart", request_id=request_id)))
    publish(stack, "cartflow.reminders", "CartReminderDue", reminder.to_dict())
    return reminder, receive_as_lambda_event(stack.queue_urls["reminders"])


def sent_emails() -> list[Any]:
    return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)


def test_the_reminder_email_is_exactly_this_text_and_html_and_counted_and_logged_as_sent(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("send_reminder")
    reminder, event = due(stack)
    capsys.readouterr()
    with requests_sent(app.ses, "SendEmail") as sent:
        assert app.handler(event, SEND) == {"batchItemFailures": []}
    assert emitted_metrics(capsys.readouterr().out) == {"RemindersSent": 1}
    [email] = sent_emails()
    [logged] = [record.__dict__ for record in caplog.records if record.getMessage() == "reminder sent"]
    assert (logged["reminder_id"], logged["message_id"]) == (reminder.reminder_id, email.id)
    assert sent == [
        {
            "FromEmailAddress": stack.settings["SENDER_EMAIL"],
            "ConfigurationSetName": stack.settings["SES_CONFIGURATION_SET"],
            "Destination": {"ToAddresses": ["ada@example.com"]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": "Still thinking about sku:42?", "Charset": "UTF-8"},
                    "Body": {
                        "Text": {
                            "Data": "Hi ada@example.com,\n\nYou left 2 x sku:42 in your cart. "
                            "It is still waiting for you.\n",
                            "Charset": "UTF-8",
                        },
                        "Html": {
                            "Data": "<p>Hi ada@example.com,</p><p>You left 2 &times; <strong>sku:42</strong> "
                            "in your cart. It is still waiting for you.</p>",
                            "Charset": "UTF-8",
                        },
                    },
                }
            },
        }
    ]


def test_putevents_answering_200_with_a_failed_entry_fails_the_record_and_the_retry_emails_no_more(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # PutEvents reports a rejected entry in a 200 answer, not as an error.
    # The batch loop logs through the functions' Powertools logger, named after the service.
    service = os.environ["POWERTOOLS_SERVICE_NAME"]
    caplog.set_level(logging.DEBUG, logger=service)
    app = load_function("send_reminder")
    reminder, event = due(stack)
    failed = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}]}
    with aws_answer(app.events, "PutEvents", 200, failed):
        assert app.handler(event, SEND) == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert [record.getMessage() for record in caplog.records if record.name == service] == [
        "Record processing exception: <class 'RuntimeError'>:CartReminderSent not accepted: InternalFailure"
    ]
    assert len(sent_emails()) == 1
    with requests_sent(app.events, "PutEvents") as announced:
        assert app.handler(event, SEND) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    [request] = announced
    [entry] = request["Entries"]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
        "cartflow.reminders",
        "CartReminderSent",
        stack.settings["EVENT_BUS_ARN"],
    )
    assert json.loads(entry["Detail"])["reminder_id"] == reminder.reminder_id


# Longer than any redelivery below could take on a loaded machine; the test expires it, never waits.
IN_PROGRESS_MS = 60_000


class InvocationTimedOut(BaseException):
    """Lambda ending an invocation at its timeout: no Python handler gets to clean up."""


def expire_in_progress_records(table: str) -> None:
    """Time passing beyond an in-progress record's expiry: what is stored once it has, without the wait."""
    dynamodb = boto3.client("dynamodb")
    items = dynamodb.scan(TableName=table)["Items"]
    in_progress = [item for item in items if item.get("status") == {"S": "INPROGRESS"}]
    assert len(in_progress) == 1
    # The record lasts as long as the invocation had left (milliseconds, as Powertools stores it).
    left_ms = int(in_progress[0]["in_progress_expiration"]["N"]) - time.time() * 1000
    assert 0 < left_ms <= IN_PROGRESS_MS
    dynamodb.update_item(
        TableName=table,
        Key={"id": in_progress[0]["id"]},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}},
    )


def test_an_invocation_that_timed_out_mid_send_is_retried_once_its_in_progress_record_expires(
    stack: Any, load_function: Any
) -> None:
    app = load_function("send_reminder")
    _, event = due(stack)
    dying = FakeLambdaContext("send_reminder", remaining_ms=IN_PROGRESS_MS)

    def time_out(**_: Any) -> None:
        raise InvocationTimedOut

    app.ses.meta.events.register_first("before-call.sesv2.SendEmail", time_out)
    try:
        with pytest.raises(InvocationTimedOut):
            app.handler(event, dying)
    finally:
        app.ses.meta.events.unregister("before-call.sesv2.SendEmail", time_out)
    # While the timed-out invocation could still be running, a redelivery must not send too.
    assert app.handler(event, SEND) == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    expire_in_progress_records(stack.settings["IDEMPOTENCY_TABLE"])
    assert app.handler(event, SEND) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


def test_sent_reminders_and_claims_are_remembered_exactly_the_record_ttl(stack: Any, load_function: Any) -> None:
    app = load_function("send_reminder", IDEMPOTENCY_TTL_SECONDS="7200")
    _, event = due(stack)
    before = int(datetime.now(UTC).timestamp())
    assert app.handler(event, SEND) == {"batchItemFailures": []}
    after = int(datetime.now(UTC).timestamp())
    items = boto3.client("dynamodb").scan(TableName=stack.settings["IDEMPOTENCY_TABLE"])["Items"]
    expirations = {item["id"]["S"].partition("#")[0]: int(item["expiration"]["N"]) for item in items}
    assert set(expirations) == {"reminded", "send_reminder.email", "send_reminder.announce"}
    for key, expiration in expirations.items():
        assert before + 7200 <= expiration <= after + 7200, key


def test_a_stale_reminder_is_counted_logged_and_sends_nothing(
    stack: Any, load_function: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("send_reminder")
    newer = schedules.reminder_for(
        ItemAdded.from_dict(cart_detail("ItemAddedToCart", request_id="newer", occurred_at="2030-01-01T11:00:00Z"))
    )
    assert app.newest_reminded.claim(
        app.idempotency_table, stack.settings["IDEMPOTENCY_TABLE"], newer, 60, datetime.now(UTC)
    )
    older, event = due(stack, request_id="older")
    capsys.readouterr()
    assert app.handler(event, SEND) == {"batchItemFailures": []}
    assert emitted_metrics(capsys.readouterr().out) == {"RemindersStale": 1}
    assert sent_emails() == []
    [skipped] = [r.__dict__ for r in caplog.records if r.getMessage().startswith("reminder skipped: a newer add")]
    assert skipped["reminder_id"] == older.reminder_id


SANDBOX = "Email address is not verified. The following identities failed the check in region EU-WEST-1: "


def ses_rejection(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")


def test_only_a_sandbox_refusal_naming_the_recipient_itself_counts_as_refused(load_function: Any) -> None:
    app = load_function("send_reminder")
    # SES lists every failed identity, comma-separated, in any case.
    assert app.refused_in_sandbox(
        ses_rejection("MessageRejected", SANDBOX + "Ada@Example.com, bob@x.io"), "ada@example.com"
    )
    assert app.refused_in_sandbox(
        ses_rejection("MessageRejected", SANDBOX + "bob@x.io, ADA@example.com"), "ada@example.com"
    )
    # The sender failing the check is a configuration error: retried, not dropped.
    assert not app.refused_in_sandbox(
        ses_rejection("MessageRejected", SANDBOX + "noreply@cartflow.example"), "ada@example.com"
    )
    assert not app.refused_in_sandbox(
        ses_rejection("MessageRejected", "Daily sending quota exceeded"), "ada@example.com"
    )
    assert not app.refused_in_sandbox(
        ses_rejection("BadRequestException", SANDBOX + "ada@example.com"), "ada@example.com"
    )


def test_a_rejected_add_is_logged_with_its_event_id_model_and_reason(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("schedule_reminder")
    envelope = deliver(stack, "schedule_reminder", "ItemAddedToCart", cart_detail("ItemAddedToCart"))
    with pytest.raises(InvalidEventError):
        app.handler({**envelope, "detail": {**envelope["detail"], "quantity": 0}}, SCHEDULE)
    [rejected] = [record.__dict__ for record in caplog.records if record.getMessage() == "invalid input rejected"]
    assert (rejected["event_id"], rejected["model"], rejected["reason"]) == (
        envelope["id"],
        "ItemAdded",
        "detail.quantity: must be bigger than or equal to 1",
    )


def test_an_unknown_detail_type_is_refused_naming_the_ones_cancel_reminders_handles(load_function: Any) -> None:
    app = load_function("cancel_reminders")
    with pytest.raises(
        InvalidEventError,
        match=r"^detail-type: expected one of \['CartCheckedOut', 'ItemRemovedFromCart'\], got 'Other'$",
    ):
        app.handler({"detail-type": "Other", "detail": {}}, CANCEL)
    with pytest.raises(InvalidEventError, match=r"got None$"):
        app.handler(["not", "an", "event"], CANCEL)


def test_a_permanent_ses_rejection_is_logged_with_its_code_and_reminder(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("send_reminder")
    reminder, event = due(stack)
    rejected = {"Error": {"Code": "MessageRejected", "Message": "Email address is blacklisted."}}
    with aws_answer(app.ses, "SendEmail", 400, {**rejected, "ResponseMetadata": {"HTTPStatusCode": 400}}):
        app.handler(event, SEND)
    [logged] = [record.__dict__ for record in caplog.records if record.getMessage() == "SES rejected the reminder"]
    assert (logged["reminder_id"], logged["code"]) == (reminder.reminder_id, "MessageRejected")


def test_a_reminder_the_ses_sandbox_refuses_is_logged_as_dropped_with_its_id(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("send_reminder")
    reminder, event = due(stack)
    refused = {"Error": {"Code": "MessageRejected", "Message": SANDBOX + "ada@example.com"}}
    with aws_answer(app.ses, "SendEmail", 400, {**refused, "ResponseMetadata": {"HTTPStatusCode": 400}}):
        assert app.handler(event, SEND) == {"batchItemFailures": []}
    dropped = "reminder dropped: SES sandbox refuses the recipient"
    [logged] = [record.__dict__ for record in caplog.records if record.getMessage() == dropped]
    assert logged["reminder_id"] == reminder.reminder_id


def test_an_invalid_removal_is_logged_with_its_detail_type(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = load_function("cancel_reminders")
    envelope = deliver(stack, "cancel_reminders", "ItemRemovedFromCart", cart_detail("ItemRemovedFromCart"))
    with pytest.raises(InvalidEventError):
        app.handler({**envelope, "detail": {**envelope["detail"], "product": "no spaces"}}, CANCEL)
    [rejected] = [record.__dict__ for record in caplog.records if record.getMessage() == "invalid input rejected"]
    assert (rejected["detail_type"], rejected["model"]) == ("ItemRemovedFromCart", "ItemRemoved")


def test_a_sent_reminder_says_when_in_utc_whatever_the_machines_zone(
    stack: Any, load_function: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local stack runs these handlers on developers' machines, in any zone; Lambda's is UTC.
    app = load_function("send_reminder")
    _, event = due(stack)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        with requests_sent(app.events, "PutEvents") as announced:
            assert app.handler(event, SEND) == {"batchItemFailures": []}
        sent_at = datetime.fromisoformat(json.loads(announced[0]["Entries"][0]["Detail"])["sent_at"])
        assert before <= sent_at <= datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_logs_of_a_reminder_carry_its_request_id_as_correlation_id(stack: Any, load_function: Any) -> None:
    app = load_function("send_reminder")
    reminder, event = due(stack, request_id="req-42")
    app.handler(event, SEND)
    # Powertools appends the correlation id to every line the logger writes after it is set.
    assert app.logger.get_correlation_id() == reminder.request_id == "req-42"


def test_idempotency_records_are_keyed_by_the_reminder_id_alone(stack: Any, load_function: Any) -> None:
    # Fixed expected keys: records written by the running version must still match after a deploy.
    app = load_function("send_reminder")
    added = cart_detail("ItemAddedToCart", request_id="r-1", occurred_at="2030-01-01T10:00:00Z")
    reminder = schedules.reminder_for(ItemAdded.from_dict(added))
    assert reminder.reminder_id == "9aae9407c72ab8f6b8f6ced49e127932"
    publish(stack, "cartflow.reminders", "CartReminderDue", reminder.to_dict())
    assert app.handler(receive_as_lambda_event(stack.queue_urls["reminders"]), SEND) == {"batchItemFailures": []}
    items = boto3.client("dynamodb").scan(TableName=stack.settings["IDEMPOTENCY_TABLE"])["Items"]
    assert {item["id"]["S"] for item in items} >= {
        "send_reminder.email#50a52bb2edd213de65ab0823abc48d5c",
        "send_reminder.announce#50a52bb2edd213de65ab0823abc48d5c",
    }


def test_checkout_touches_only_the_reminder_group(stack: Any, load_function: Any) -> None:
    add(stack, load_function("schedule_reminder"), occurred_at="2030-01-01T10:00:00Z")
    # A schedule named like ada's reminders, in another group, is not a reminder.
    boto3.client("scheduler").create_schedule(
        Name=schedules.user_prefix("ada@example.com") + "elsewhere",
        ScheduleExpression="at(2030-01-02T10:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": stack.settings["EVENT_BUS_ARN"], "RoleArn": stack.settings["SCHEDULER_ROLE_ARN"]},
    )
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", occurred_at="2030-01-01T11:00:00Z")
    assert app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CANCEL) == {
        "outcomes": {ADA_SKU_42: "deleted"}
    }


def test_each_handler_logs_what_it_did_under_its_keys(
    stack: Any, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    added = add(stack, load_function("schedule_reminder"), request_id="r-1", occurred_at="2030-01-01T10:00:00Z")
    [scheduled] = [record.__dict__ for record in caplog.records if record.getMessage() == "reminder scheduled"]
    assert (scheduled["outcome"], scheduled["reminder_id"]) == (added["outcome"], "9aae9407c72ab8f6b8f6ced49e127932")
    app = load_function("cancel_reminders")
    detail = cart_detail("CartCheckedOut", occurred_at="2030-01-01T11:00:00Z")
    app.handler(deliver(stack, "cancel_reminders", "CartCheckedOut", detail), CANCEL)
    [cancelled] = [record.__dict__ for record in caplog.records if record.getMessage() == "reminders cancelled"]
    assert cancelled["outcomes"] == {ADA_SKU_42: "deleted"}


def test_an_add_that_is_not_an_object_is_rejected_not_crashed_on(load_function: Any) -> None:
    app = load_function("schedule_reminder")
    with pytest.raises(InvalidEventError, match=r"^<root>: must be object$"):
        app.handler(["not", "an", "event"], SCHEDULE)
