"""send_reminder against moto: one email per reminder, partial batch failures, the DLQ path."""

from __future__ import annotations

import json
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.exceptions import ClientError
from moto.ses.models import ses_backends

from cartflow import contract, pacing, schedules, ses_errors
from cartflow.config import ConfigurationError
from cartflow.models import ItemAdded, ReminderDue
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from tests.helpers.aws import aws_answer, aws_error, drain, requests_sent
from tests.helpers.events import cart_detail, deliver, publish, receive_as_lambda_event
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.metrics import emitted_metrics

CONTEXT = FakeLambdaContext("send_reminder")


def sent_emails() -> list[Any]:
    return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)


@pytest.fixture
def sent_events(stack: Any) -> Any:
    """A test rule that captures every CartReminderSent, as a downstream consumer would see it."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    url = sqs.create_queue(QueueName="sent-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.settings["EVENT_BUS_ARN"]
    events.put_rule(
        Name="sent-capture", EventBusName=bus, EventPattern=json.dumps({"detail-type": ["CartReminderSent"]})
    )
    events.put_targets(Rule="sent-capture", EventBusName=bus, Targets=[{"Id": "capture", "Arn": arn}])
    return lambda: [json.loads(message["Body"]) for message in drain(url)]


@pytest.fixture
def fire_reminders(stack: Any, load_function: Any) -> Any:
    """Add items, then fire their schedules as EventBridge Scheduler would (moto never fires)."""
    scheduler_app = load_function("schedule_reminder")

    def fire(*products: str) -> str:
        for product in products:
            detail = cart_detail("ItemAddedToCart", product=product)
            scheduler_app.handler(
                deliver(stack, "schedule_reminder", "ItemAddedToCart", detail), FakeLambdaContext("schedule_reminder")
            )
        scheduler, events = boto3.client("scheduler"), boto3.client("events")
        group = stack.settings["SCHEDULE_GROUP"]
        for item in scheduler.list_schedules(GroupName=group)["Schedules"]:
            target = scheduler.get_schedule(Name=item["Name"], GroupName=group)["Target"]
            parameters = target["EventBridgeParameters"]
            events.put_events(
                Entries=[
                    {
                        "EventBusName": target["Arn"],
                        "Source": parameters["Source"],
                        "DetailType": parameters["DetailType"],
                        "Detail": target["Input"],
                    }
                ]
            )
            scheduler.delete_schedule(Name=item["Name"], GroupName=group)
        return str(stack.queue_urls["reminders"])

    return fire


def test_reminder_is_emailed_and_announced(
    stack: Any, load_function: Any, fire_reminders: Any, sent_events: Any
) -> None:
    queue = fire_reminders("sku:42")
    app = load_function("send_reminder")
    event = receive_as_lambda_event(queue)
    assert len(event["Records"]) == 1

    assert app.handler(event, CONTEXT) == {"batchItemFailures": []}

    [email] = sent_emails()
    assert email.source == stack.settings["SENDER_EMAIL"]
    assert email.destinations["ToAddresses"] == ["ada@example.com"]
    assert "sku:42" in email.subject
    assert "sku:42" in email.body
    [announced] = sent_events()
    assert announced["source"] == "cartflow.reminders"
    jsonschema.Draft4Validator(contract.event_schema("CartReminderSent")).validate(announced["detail"])
    due = json.loads(event["Records"][0]["body"])["detail"]
    assert announced["detail"]["reminder_id"] == due["reminder_id"]
    assert announced["detail"]["message_id"] == email.id


def test_a_field_a_newer_producer_added_is_ignored(
    stack: Any, load_function: Any, fire_reminders: Any, sent_events: Any
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    [record] = event["Records"]
    envelope = json.loads(record["body"])
    envelope["detail"]["channel"] = "email"
    record["body"] = json.dumps(envelope)
    assert load_function("send_reminder").handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    [announced] = sent_events()
    jsonschema.Draft4Validator(contract.event_schema("CartReminderSent")).validate(announced["detail"])


def test_redelivered_message_sends_no_second_email_or_event(
    stack: Any, load_function: Any, fire_reminders: Any, sent_events: Any
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    app.handler(event, CONTEXT)
    assert load_function("send_reminder").handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    assert len(sent_events()) == 1


def test_a_reminder_of_an_add_older_than_one_already_reminded_is_skipped(
    stack: Any, load_function: Any, sent_events: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # E.g. a late copy of the older add re-scheduled after the newer add's reminder fired.
    def due(occurred_at: str, quantity: int) -> ReminderDue:
        added = cart_detail("ItemAddedToCart", occurred_at=occurred_at, quantity=quantity)
        return schedules.reminder_for(ItemAdded.from_dict(added))

    app = load_function("send_reminder")
    queue = stack.queue_urls["reminders"]
    newer, older = due("2030-01-01T12:00:00Z", 5), due("2030-01-01T10:00:00.500Z", 1)
    for reminder in (newer, older):
        publish(stack, "cartflow.reminders", "CartReminderDue", reminder.to_dict())
        event = receive_as_lambda_event(queue)
        capsys.readouterr()
        assert app.handler(event, CONTEXT) == {"batchItemFailures": []}

    assert emitted_metrics(capsys.readouterr().out).get("RemindersStale") == 1
    [email] = sent_emails()
    assert "5 &times; <strong>sku:42</strong>" in email.body
    assert len(sent_events()) == 1
    # The reminded one itself, redelivered, still claims its item (and the email stays single).
    publish(stack, "cartflow.reminders", "CartReminderDue", newer.to_dict())
    assert app.handler(receive_as_lambda_event(queue), CONTEXT) == {"batchItemFailures": []}
    assert "RemindersStale" not in emitted_metrics(capsys.readouterr().out)
    assert len(sent_emails()) == 1


def test_bad_records_fail_alone_and_are_counted(
    stack: Any,
    load_function: Any,
    fire_reminders: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    good = event["Records"][0]
    envelope = json.loads(good["body"])
    not_json = {**good, "messageId": "not-json", "body": "{oops"}
    no_email = {
        **good,
        "messageId": "no-email",
        "body": json.dumps({**envelope, "detail": {k: v for k, v in envelope["detail"].items() if k != "email"}}),
    }
    app = load_function("send_reminder")
    capsys.readouterr()

    response = app.handler({"Records": [not_json, good, no_email]}, CONTEXT)

    assert response == {"batchItemFailures": [{"itemIdentifier": "not-json"}, {"itemIdentifier": "no-email"}]}
    assert len(sent_emails()) == 1
    assert emitted_metrics(capsys.readouterr().out).get("InvalidEvents") == 2
    rejections = [record.__dict__ for record in caplog.records if record.getMessage() == "invalid input rejected"]
    assert [(entry["message_id"], entry["reason"]) for entry in rejections][1] == (
        "no-email",
        "detail.email: required property missing",
    )
    assert not any("ada@example.com" in str(record.__dict__) for record in caplog.records)


def waits(requests: list[dict[str, Any]], stack: Any) -> list[tuple[int, str]]:
    """(delay, deferral count) of each reminder send_reminder sent back to its queue to wait."""
    return [
        (request["DelaySeconds"], request["MessageAttributes"]["cartflow-deferrals"]["StringValue"])
        for request in requests
        if request["QueueUrl"] == stack.queue_urls["reminders"]
    ]


def delayed(queue_url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def test_a_rejected_sender_goes_to_the_dlq_at_once_counted_once_and_its_redrive_sends_once(
    stack: Any, load_function: Any, fire_reminders: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    misconfigured = load_function("send_reminder", SENDER_EMAIL="unverified@cartflow.example")
    capsys.readouterr()
    assert misconfigured.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert emitted_metrics(capsys.readouterr().out).get("EmailsRejected") == 1
    assert sent_emails() == []
    [dead] = drain(stack.dlq_urls["reminders"])
    assert dead["Body"] == event["Records"][0]["body"]

    # The sender fixed, the redriven reminder is sent once.
    redriven = {"Records": [{**event["Records"][0], "body": dead["Body"]}]}
    assert load_function("send_reminder").handler(redriven, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


# Every answer of SES v2's SendEmail that retrying cannot fix, with the status SES answers it with.
PERMANENT_SES_ANSWERS = {
    "MessageRejected": 400,
    "MailFromDomainNotVerifiedException": 400,
    "BadRequestException": 400,
    "NotFoundException": 404,
}
# SES v2's throttling answer and the generic ones botocore also knows.
THROTTLED_SES_ANSWERS = {"TooManyRequestsException": 429, "Throttling": 400, "ThrottlingException": 400}
# The account cannot send for now: a quota, a pause, a suspension.
PAUSED_SES_ANSWERS = {"LimitExceededException": 400, "SendingPausedException": 400, "AccountSuspendedException": 400}


def test_every_sendemail_error_of_the_api_reference_has_one_outcome() -> None:
    # The Errors section of SES v2's SendEmail (docs/aws-fidelity.md), plus the generic throttling codes.
    assert {code: outcome.value for code, outcome in ses_errors.CODES.items()} == {
        **dict.fromkeys(PERMANENT_SES_ANSWERS, "permanent"),
        **dict.fromkeys(THROTTLED_SES_ANSWERS, "throttled"),
        **dict.fromkeys(PAUSED_SES_ANSWERS, "paused"),
    }


@pytest.mark.parametrize("code", ["Throttling", "ThrottlingException", "TooManyRequestsException"])
def test_an_exhausted_daily_quota_pauses_sending_though_its_code_is_the_throttling_one(code: str) -> None:
    def answer(message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")

    assert ses_errors.classify(answer("Daily message quota exceeded.")) is ses_errors.Outcome.PAUSED
    assert ses_errors.classify(answer("Maximum sending rate exceeded.")) is ses_errors.Outcome.THROTTLED


@pytest.mark.parametrize(("code", "status"), PERMANENT_SES_ANSWERS.items())
def test_a_permanent_ses_error_moves_the_reminder_to_the_dlq_at_once_and_counts_it_once(
    stack: Any,
    load_function: Any,
    fire_reminders: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    code: str,
    status: int,
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    capsys.readouterr()
    with aws_error(app.ses, "SendEmail", code, status), requests_sent(app.sqs, "SendMessage") as requests:
        assert app.handler(event, CONTEXT) == {"batchItemFailures": []}, "acknowledged: never received again"
    emitted = emitted_metrics(capsys.readouterr().out)
    assert (emitted.get("EmailsRejected"), emitted.get("RemindersDelayed")) == (1, None)
    assert [getattr(r, "code", None) for r in caplog.records if r.getMessage() == "SES rejected the reminder"] == [code]
    [dead] = drain(stack.dlq_urls["reminders"])
    assert dead["Body"] == event["Records"][0]["body"]
    assert waits(requests, stack) == []
    assert sent_emails() == []


def test_a_server_error_fails_the_record_for_sqs_to_redeliver_and_is_not_counted_as_rejected(
    stack: Any, load_function: Any, fire_reminders: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    capsys.readouterr()
    with aws_error(app.ses, "SendEmail", "InternalFailure", 500):
        assert len(app.handler(event, CONTEXT)["batchItemFailures"]) == 1
    emitted = emitted_metrics(capsys.readouterr().out)
    assert "EmailsRejected" not in emitted
    assert "RemindersDelayed" not in emitted
    assert drain(stack.dlq_urls["reminders"]) == []


@pytest.mark.parametrize(("code", "status"), THROTTLED_SES_ANSWERS.items())
def test_a_throttled_reminder_waits_in_the_queue_as_a_new_message_and_is_counted_once(
    stack: Any,
    load_function: Any,
    fire_reminders: Any,
    capsys: pytest.CaptureFixture[str],
    code: str,
    status: int,
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    capsys.readouterr()
    with aws_error(app.ses, "SendEmail", code, status), requests_sent(app.sqs, "SendMessage") as requests:
        assert app.handler(event, CONTEXT) == {"batchItemFailures": []}, "acknowledged: no receive counts"
    emitted = emitted_metrics(capsys.readouterr().out)
    assert (emitted.get("RemindersDelayed"), emitted.get("EmailsRejected")) == (1, None)
    assert waits(requests, stack) == [(1, "1")]
    assert [request["MessageBody"] for request in requests] == [event["Records"][0]["body"]]
    assert delayed(stack.queue_urls["reminders"]) == 1


def test_a_throttled_reminder_makes_the_rest_of_its_batch_wait_untried(
    stack: Any, load_function: Any, fire_reminders: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:1", "sku:2", "sku:3"))
    app = load_function("send_reminder")
    capsys.readouterr()
    throttled = aws_error(app.ses, "SendEmail", "TooManyRequestsException", 429)
    with throttled, requests_sent(app.ses, "SendEmail") as calls, requests_sent(app.sqs, "SendMessage") as requests:
        assert app.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(calls) == 1, "each throttled send costs botocore's retries: the batch must end within its timeout"
    assert waits(requests, stack) == [(1, "1")] * 3
    assert emitted_metrics(capsys.readouterr().out).get("RemindersDelayed") == 3
    assert sent_emails() == []
    assert drain(stack.dlq_urls["reminders"]) == []


def test_each_wait_of_a_reminder_is_longer_and_its_copy_is_sent_once(
    stack: Any, load_function: Any, fire_reminders: Any
) -> None:
    queue = fire_reminders("sku:42")
    app = load_function("send_reminder")
    event = receive_as_lambda_event(queue)
    throttled = aws_error(app.ses, "SendEmail", "TooManyRequestsException", 429)
    with throttled, requests_sent(app.sqs, "SendMessage") as requests:
        app.handler(event, CONTEXT)
        # The copy, once its delay passed, is throttled again: it waits twice as long.
        waited = receive_as_lambda_event(queue, WaitTimeSeconds=5, MessageAttributeNames=["All"])
        assert app.handler(waited, CONTEXT) == {"batchItemFailures": []}
    assert waits(requests, stack) == [(1, "1"), (2, "2")]
    # A crash between sending the copy and acknowledging the original leaves both: one email.
    assert app.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert app.handler(waited, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1


@pytest.mark.parametrize(("code", "status"), PAUSED_SES_ANSWERS.items())
def test_paused_sending_makes_the_whole_batch_wait_the_longest_delay_and_is_counted(
    stack: Any,
    load_function: Any,
    fire_reminders: Any,
    capsys: pytest.CaptureFixture[str],
    code: str,
    status: int,
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:1", "sku:2"))
    assert len(event["Records"]) == 2
    app = load_function("send_reminder")
    capsys.readouterr()
    paused = aws_error(app.ses, "SendEmail", code, status)
    with paused, requests_sent(app.ses, "SendEmail") as calls, requests_sent(app.sqs, "SendMessage") as requests:
        assert app.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(calls) == 1, "the rest of the batch is not tried once SES said it cannot send"
    emitted = emitted_metrics(capsys.readouterr().out)
    assert (emitted.get("SendingPaused"), emitted.get("RemindersDelayed")) == (2, 2)
    assert waits(requests, stack) == [(900, "1"), (900, "1")]
    assert drain(stack.dlq_urls["reminders"]) == []


def test_the_sends_of_an_invocation_are_spaced_by_its_share_of_the_ses_rate(
    stack: Any, load_function: Any, fire_reminders: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:1", "sku:2", "sku:3"))
    app = load_function("send_reminder", SES_MAX_SEND_RATE="14")
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:  # time passes only while the pacer sleeps: sends take none
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(app, "pacer", pacing.Pacer(app.PACE.send_interval_seconds, clock=lambda: now[0], sleep=sleep))
    assert app.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 3
    # 14 emails/s shared by the mapping's 3 concurrent invocations: 3/14 s between sends.
    assert slept == [pytest.approx(3 / 14)] * 2


def test_failed_announcement_is_retried_without_a_second_email(
    stack: Any, load_function: Any, fire_reminders: Any, sent_events: Any
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    with aws_error(app.events, "PutEvents", "InternalException", 500):
        assert len(app.handler(event, CONTEXT)["batchItemFailures"]) == 1
    assert len(sent_emails()) == 1
    assert sent_events() == []
    assert app.handler(event, CONTEXT) == {"batchItemFailures": []}
    assert len(sent_emails()) == 1
    assert len(sent_events()) == 1


def test_poison_message_reaches_the_dlq_without_blocking_its_batch(
    stack: Any, load_function: Any, fire_reminders: Any
) -> None:
    queue = fire_reminders("sku:1")
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody='{"detail-type": "CartReminderDue", "detail": "poison"}')
    app = load_function("send_reminder")
    max_receives = contract.stack()["queues"]["reminders"]["max_receive_count"]

    # What the event source mapping does: invoke, delete the successes, let failures reappear.
    for _ in range(max_receives + 1):
        event = receive_as_lambda_event(queue, VisibilityTimeout=0)
        if not event["Records"]:
            break
        failed = {item["itemIdentifier"] for item in app.handler(event, CONTEXT)["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] not in failed:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=record["receiptHandle"])

    assert len(sent_emails()) == 1
    dead = drain(stack.dlq_urls["reminders"])
    assert [message["Body"] for message in dead] == ['{"detail-type": "CartReminderDue", "detail": "poison"}']
    assert drain(queue) == []


def test_missing_table_setting_fails_cold_start(load_function: Any) -> None:
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_TABLE"):
        load_function("send_reminder", IDEMPOTENCY_TABLE=None)


def test_email_addresses_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    from cartflow.observability import logger

    logger.info("reply to ada@example.com", extra={"to": ["bob.smith+tag@mail.example.org"], "nested": {"a": "c@d.io"}})
    logger.warning("failed for %s", "eve@example.net")
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert logged.count("[email redacted]") >= 4
    for address in ("ada@example.com", "bob.smith+tag@mail.example.org", "c@d.io", "eve@example.net"):
        assert address not in logged


def test_a_recipient_the_ses_sandbox_refuses_is_counted_and_not_retried(
    stack: Any, load_function: Any, fire_reminders: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    recipient = json.loads(event["Records"][0]["body"])["detail"]["email"]
    # SES's answer in the sandbox for a recipient that is not a verified identity.
    message = (
        f"Email address is not verified. The following identities failed the check in region EU-WEST-1: {recipient}"
    )
    rejected = {"Error": {"Code": "MessageRejected", "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    app = load_function("send_reminder")
    capsys.readouterr()
    with aws_answer(app.ses, "SendEmail", 400, rejected):
        response = app.handler(event, CONTEXT)
    assert response == {"batchItemFailures": []}, "retrying cannot verify the recipient"
    emitted = emitted_metrics(capsys.readouterr().out)
    assert (emitted.get("EmailsRejected"), emitted.get("SandboxRecipientsRejected")) == (1, 1)
    assert sent_emails() == []


def test_every_reminder_names_the_configuration_set(stack: Any, load_function: Any, fire_reminders: Any) -> None:
    event = receive_as_lambda_event(fire_reminders("sku:42"))
    app = load_function("send_reminder")
    sent: list[dict[str, Any]] = []
    app.ses.meta.events.register("provide-client-params.sesv2.SendEmail", lambda params, **_: sent.append(params))
    assert app.handler(event, FakeLambdaContext("send_reminder")) == {"batchItemFailures": []}
    [request] = sent
    name = stack.settings["SES_CONFIGURATION_SET"]
    assert request["ConfigurationSetName"] == name == contract.resource_name("ses_configuration_set", stack.name)
    described = boto3.client("sesv2").get_configuration_set(ConfigurationSetName=name)
    assert sorted(described["SuppressionOptions"]["SuppressedReasons"]) == ["BOUNCE", "COMPLAINT"]
