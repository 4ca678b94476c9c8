"""send_reminder: consume the reminder queue, email each reminder once, announce it.

Each SQS record is an EventBridge envelope of CartReminderDue. Records fail individually
(partial batch response) so one bad message never blocks its batch. Sending the email and
announcing it are two idempotent units keyed by ``reminder_id``: a redelivery or a second copy
never sends a second email or a second CartReminderSent, and a retry after a failed announcement
does not email again. A reminder of an add older than one already reminded for the same item is
skipped (cartflow.newest_reminded).

SES is called no faster than the environment's sending rate allows (cartflow.pacing), and each
SES error is handled by what it means (cartflow.ses_errors): a reminder SES refuses for good is
moved to the DLQ at once; one SES cannot take yet (throttled, or sending paused) is sent back to
the queue with a delay and the received copy acknowledged, so waiting never counts toward the
DLQ. Only other failures (parsing, 5xx, the bus) are left to SQS redelivery and its DLQ.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError

from cartflow import contract, newest_reminded, pacing
from cartflow.config import load_settings
from cartflow.models import ReminderDue, ReminderSent, prepare
from cartflow.observability import logger, metrics, trace_handler
from cartflow.parsing import parse
from cartflow.ses_errors import Outcome, classify
from cartflow.sqs_batch import PartialItemFailureResponse, SqsRecord, process_partial_response
from cartflow.timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_sesv2.type_defs import EmailContentTypeDef

settings = load_settings("send_reminder")
RECORD_TTL_SECONDS = settings.integer("IDEMPOTENCY_TTL_SECONDS", minimum=1)
SENT_EVENT = contract.event_type("CartReminderSent")
QUEUE = pacing.consumed_by("send_reminder")
PACE = pacing.event_source(QUEUE, settings.integer("SES_MAX_SEND_RATE", minimum=1))
# A waiting reminder carries how often it waited, so each wait is longer (cartflow.pacing).
DEFERRALS = "cartflow-deferrals"
# A dead-lettered reminder carries the SES error that sent it there, for whoever redrives it.
SES_ERROR = "cartflow-ses-error"
# In the SES sandbox every recipient must be a verified identity too; SES then answers
# MessageRejected with this message naming the identities that failed.
UNVERIFIED_IDENTITY = "Email address is not verified. The following identities failed the check"


class SandboxRecipientRejected(Exception):
    """SES (in the sandbox) refuses the reminder's recipient: no retry can deliver it."""


def refused_in_sandbox(error: ClientError, recipient: str) -> bool:
    """Whether SES refused ``recipient`` itself as an unverified identity (not the sender)."""
    details = error.response.get("Error", {})
    message = str(details.get("Message", ""))
    if details.get("Code") != "MessageRejected" or not message.startswith(UNVERIFIED_IDENTITY):
        return False
    failed = {identity.strip().lower() for identity in message.rpartition(":")[2].split(",")}
    return recipient.lower() in failed


# Botocore's standard retry mode retries SES's throttling answers and 5xx within the invocation,
# with exponential backoff and jitter (docs/aws-fidelity.md); what still fails is handled below.
ses = boto3.client("sesv2", config=Config(retries={"mode": "standard", "max_attempts": 3}))
events = boto3.client("events")
sqs = boto3.client("sqs")
# One pacer per execution environment: Lambda runs one invocation at a time in it, so the spacing
# holds across the invocations it serves too.
pacer = pacing.Pacer(PACE.send_interval_seconds)
prepare(ReminderDue, ReminderSent)


# Sending and announcing are separate idempotent units, so a failed announcement is retried
# without sending the email again. Powertools needs one persistence layer per config; explicit
# key prefixes keep the records valid across deployments that rename the module or function.
def reminder_idempotency() -> IdempotencyConfig:
    """Records keyed by reminder_id, kept as long as a redrive may bring a reminder back."""
    return IdempotencyConfig(event_key_jmespath="reminder_id", expires_after_seconds=RECORD_TTL_SECONDS)


email_idempotency = reminder_idempotency()
announce_idempotency = reminder_idempotency()
# Both layers share one client: left to themselves, each builds its own boto3 session and
# DynamoDB client at cold start, a cost paid twice for nothing (docs/benchmarks.md).
idempotency_table = boto3.client("dynamodb")
email_records = DynamoDBPersistenceLayer(table_name=settings["IDEMPOTENCY_TABLE"], boto3_client=idempotency_table)
announce_records = DynamoDBPersistenceLayer(table_name=settings["IDEMPOTENCY_TABLE"], boto3_client=idempotency_table)


def compose(reminder: ReminderDue) -> EmailContentTypeDef:
    """The SES v2 content of a reminder: text and HTML bodies naming the product."""
    subject = f"Still thinking about {reminder.product}?"
    text = (
        f"Hi {reminder.user},\n\nYou left {reminder.quantity} x {reminder.product} in your cart. "
        "It is still waiting for you.\n"
    )
    html = (
        f"<p>Hi {escape(reminder.user)},</p><p>You left {reminder.quantity} &times; "
        f"<strong>{escape(reminder.product)}</strong> in your cart. It is still waiting for you.</p>"
    )
    return {
        "Simple": {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
        }
    }


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools leaves this decorator untyped
    data_keyword_argument="reminder",
    config=email_idempotency,
    persistence_store=email_records,
    key_prefix="send_reminder.email",
)
def email_once(reminder: ReminderDue) -> dict[str, str]:
    """Send the reminder email; a second call with the same reminder_id returns the first result."""
    return send_email(reminder)


# The idempotent units' bodies and the handler's are plain functions so the mutation run
# (docs/mutation.md), which leaves decorated functions alone, can mutate them.
def send_email(reminder: ReminderDue) -> dict[str, str]:
    """Send the reminder email through SES at this invocation's pace, and count it."""
    pacer.wait()
    try:
        response = ses.send_email(
            FromEmailAddress=settings["SENDER_EMAIL"],
            # Bounces and complaints put the recipient on the suppression list and their events on the bus.
            ConfigurationSetName=settings["SES_CONFIGURATION_SET"],
            Destination={"ToAddresses": [reminder.email]},
            Content=compose(reminder),
        )
    except ClientError as error:
        if refused_in_sandbox(error, reminder.email):
            raise SandboxRecipientRejected(reminder.reminder_id) from error
        raise
    metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=1)
    return {"message_id": response["MessageId"], "sent_at": format_timestamp(datetime.now(UTC))}


@idempotent_function(  # type: ignore[untyped-decorator]  # Powertools leaves this decorator untyped
    data_keyword_argument="detail",
    config=announce_idempotency,
    persistence_store=announce_records,
    key_prefix="send_reminder.announce",
)
def announce_once(detail: ReminderSent) -> None:
    """Put CartReminderSent on the bus once; fail the record if EventBridge did not take it."""
    announce(detail)


def announce(detail: ReminderSent) -> None:
    """Put CartReminderSent on the bus; raise if EventBridge answered with a failed entry."""
    response = events.put_events(
        Entries=[
            {
                "EventBusName": settings["EVENT_BUS_ARN"],
                "Source": SENT_EVENT["source"],
                "DetailType": SENT_EVENT["detail_type"],
                "Detail": detail.to_json(),
            }
        ]
    )
    if response["FailedEntryCount"]:
        raise RuntimeError(f"CartReminderSent not accepted: {response['Entries'][0].get('ErrorCode')}")


# A plain class: the local runtime and the tests load a handler module outside sys.modules,
# where a dataclass cannot resolve its annotations.
class Batch:
    """What one invocation learnt about SES: once SES could not take a reminder, the rest waits untried.

    Each throttled send costs botocore's retries and their backoff; trying every record of a
    batch in turn could outlast the function's timeout, and a timed-out batch is received again.
    """

    def __init__(self) -> None:
        self.holding: Outcome | None = None


def record_handler(record: SqsRecord, batch: Batch) -> None:
    envelope = parse(record["body"], ReminderDue, message_id=record["messageId"])
    reminder = envelope.detail
    logger.set_correlation_id(reminder.request_id)
    if not newest_reminded.claim(
        idempotency_table, settings["IDEMPOTENCY_TABLE"], reminder, RECORD_TTL_SECONDS, datetime.now(UTC)
    ):
        metrics.add_metric(name="RemindersStale", unit=MetricUnit.Count, value=1)
        logger.info(
            "reminder skipped: a newer add of this item was reminded", extra={"reminder_id": reminder.reminder_id}
        )
        return
    if batch.holding is not None:
        wait(record, reminder, batch.holding, "held with its batch")
        return
    try:
        sent = email_once(reminder=reminder)
    except SandboxRecipientRejected:
        # The record succeeds so the message is not redelivered into the DLQ.
        metrics.add_metric(name="EmailsRejected", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SandboxRecipientsRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "reminder dropped: SES sandbox refuses the recipient", extra={"reminder_id": reminder.reminder_id}
        )
        return
    except ClientError as error:
        outcome = classify(error)
        code = str(error.response.get("Error", {}).get("Code", ""))
        if outcome is Outcome.TRANSIENT:
            raise
        if outcome is Outcome.PERMANENT:
            dead_letter(record, reminder, code)
        else:
            batch.holding = outcome
            wait(record, reminder, outcome, code)
        return
    announce_once(
        detail=ReminderSent(
            user=reminder.user,
            product=reminder.product,
            reminder_id=reminder.reminder_id,
            request_id=reminder.request_id,
            message_id=sent["message_id"],
            sent_at=sent["sent_at"],
        )
    )
    logger.info("reminder sent", extra={"reminder_id": reminder.reminder_id, "message_id": sent["message_id"]})


def dead_letter(record: SqsRecord, reminder: ReminderDue, code: str) -> None:
    """Move a reminder SES refuses for good to the DLQ now: a redelivery would be refused again."""
    sqs.send_message(
        QueueUrl=settings["REMINDER_DLQ_URL"],
        MessageBody=record["body"],
        MessageAttributes={SES_ERROR: {"DataType": "String", "StringValue": code}},
    )
    metrics.add_metric(name="EmailsRejected", unit=MetricUnit.Count, value=1)
    logger.error("SES rejected the reminder", extra={"reminder_id": reminder.reminder_id, "code": code})


def deferrals(record: SqsRecord) -> int:
    """How often this reminder already waited (0 for one the bus delivered)."""
    value = record.get("messageAttributes", {}).get(DEFERRALS, {}).get("stringValue", "0")
    return int(value) if str(value).isdigit() else 0


def wait(record: SqsRecord, reminder: ReminderDue, outcome: Outcome, code: str) -> None:
    """Send the reminder back to its queue with a delay; the received copy is then acknowledged.

    A new message starts with a receive count of zero, so however long SES keeps the reminder
    waiting it never reaches the DLQ; the email idempotency makes a copy left behind by a crash
    between the two steps harmless.
    """
    waited = deferrals(record)
    delay = pacing.MAX_DELAY_SECONDS if outcome is Outcome.PAUSED else pacing.deferral_delay(waited)
    sqs.send_message(
        QueueUrl=settings["REMINDER_QUEUE_URL"],
        MessageBody=record["body"],
        DelaySeconds=delay,
        MessageAttributes={DEFERRALS: {"DataType": "Number", "StringValue": str(waited + 1)}},
    )
    metrics.add_metric(name="RemindersDelayed", unit=MetricUnit.Count, value=1)
    if outcome is Outcome.PAUSED:
        metrics.add_metric(name="SendingPaused", unit=MetricUnit.Count, value=1)
    logger.warning(
        "reminder waits: SES cannot take it yet",
        extra={"reminder_id": reminder.reminder_id, "code": code, "delay_seconds": delay},
    )


@logger.inject_lambda_context
@trace_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context)


def process(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Handle each record alone; an invocation's time left bounds how long its records stay in progress."""
    email_idempotency.register_lambda_context(context)
    announce_idempotency.register_lambda_context(context)
    # A batch whose every record failed still answers with item failures (rather than raising), so
    # the event source mapping treats it exactly like a partial failure and redrive counts apply.
    return process_partial_response(event, partial(record_handler, batch=Batch()))
