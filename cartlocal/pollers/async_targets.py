"""EventBridge rules with a Lambda target: asynchronous invocation with retries and a DLQ.

moto cannot invoke a Lambda target, so provisioning points each such rule at a delivery queue
(moto still does the pattern matching). This poller plays Lambda's asynchronous invocation:
the envelope is invoked unchanged (with the ``account`` field moto omits restored); a failed
invocation is retried ``maximum_retry_attempts`` times (stack.json), then an invocation record
goes to the on-failure destination queue (Terraform's async_failure_dlq), in the format Lambda
sends there. The
delivery queue itself holds the pending event between attempts, so nothing lives only in memory.
Lambda invokes an unreserved function's queued events concurrently, each in an environment of its
own; locally the deliveries of one receive are invoked at once, up to :data:`CONCURRENCY` (AWS's
bound is the account's concurrency, far above what one machine runs).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from cartflow import contract
from cartlocal.lambda_runtime.envelopes import restore_eventbridge_envelope
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.lambda_runtime.worker import Result
from cartlocal.local_aws.provision import ACCOUNT_ID
from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale

# An attempt takes at most the init limit (the worker bounds it by the function timeout) plus the
# timeout; the delivery stays invisible that long, with headroom, so it is never invoked twice at once.
IN_FLIGHT_MARGIN_SECONDS = 5
# Deliveries read per receive: a burst of events costs moto one receive and one batched delete
# per ten instead of two requests per event.
RECEIVE_BATCH = 10
# How many of a receive's deliveries run at once, each in an execution environment of its own.
CONCURRENCY = 4


class AsyncTarget:
    """Delivers one function's rule deliveries as asynchronous invocations."""

    def __init__(
        self,
        worker: WorkerPool,
        sqs: Any,
        delivery_url: str,
        dlq_url: str,
        *,
        scale: TimeScale,
        timeline: Timeline,
        on_failure_sqs: Any = None,
    ) -> None:
        # ``sqs`` reads the delivery queue (Lambda's own); the on-failure record is sent with
        # ``on_failure_sqs``, signed as the function's execution role as Lambda sends it.
        self.worker, self._sqs, self._on_failure_sqs = worker, sqs, on_failure_sqs or sqs
        self._delivery_url, self._dlq_url = delivery_url, dlq_url
        self._scale, self._timeline = scale, timeline
        spec = contract.function_spec(worker.config.name)
        self.retries: int = spec["maximum_retry_attempts"]
        self.maximum_age_seconds: int = spec["maximum_event_age_in_seconds"]
        self._invocations = ThreadPoolExecutor(CONCURRENCY, thread_name_prefix=f"async-{worker.config.name}")

    def close(self) -> None:
        """Wait for the invocations under way (stop the worker first, and they end at once)."""
        self._invocations.shutdown(wait=True)

    def step(self) -> bool:
        attempt_seconds = 2 * self.worker.config.timeout_seconds + IN_FLIGHT_MARGIN_SECONDS
        received = self._sqs.receive_message(
            QueueUrl=self._delivery_url,
            MaxNumberOfMessages=RECEIVE_BATCH,
            WaitTimeSeconds=1,
            # At worst the batch's deliveries are invoked one after another.
            VisibilityTimeout=RECEIVE_BATCH * attempt_seconds,
            AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        ).get("Messages", [])
        handled = list(self._invocations.map(self._handle, received))
        finished = [message for message, done in zip(received, handled, strict=True) if done]
        if finished:
            answer = self._sqs.delete_message_batch(
                QueueUrl=self._delivery_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(finished)],
            )
            if answer.get("Failed"):  # the delivery reappears and would be invoked again: say so
                self._timeline.log(self.worker.config.name, f"delivery delete failed: {answer['Failed']}")
        return bool(received)

    def _handle(self, message: dict[str, Any]) -> bool:
        """Invoke one delivery; True when it is finished with (handled or dead-lettered), to be deleted."""
        name = self.worker.config.name
        attempt = int(message["Attributes"]["ApproximateReceiveCount"])
        event = json.loads(restore_eventbridge_envelope(message["Body"], ACCOUNT_ID))
        age = datetime.now(UTC).timestamp() - int(message["Attributes"]["SentTimestamp"]) / 1000
        if age > self.maximum_age_seconds:
            self._dead_letter(event, None, attempt - 1, "EventAgeExceeded")
            return True
        self._timeline.log(
            name, f"async invoke, attempt {attempt} of {self.retries + 1}: {_describe(event)}", _request_ids(event)
        )
        result = self.worker.invoke(event)
        if result.ok:
            self._timeline.log(name, f"returned {json.dumps(result.payload)}")
            return True
        if attempt <= self.retries:
            delay = self._scale.async_retry_delay(attempt)
            self._timeline.log(name, f"failed ({_error(result)}); retry in {delay} s")
            self._sqs.change_message_visibility(
                QueueUrl=self._delivery_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
            )
            return False
        self._dead_letter(event, result, attempt, "RetriesExhausted")
        return True

    def _dead_letter(self, event: Any, result: Result | None, attempts: int, condition: str) -> None:
        """Send Lambda's on-failure invocation record (the caller then deletes the delivery)."""
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": result.request_id if result else None,
                "functionArn": f"{self.worker.config.function_arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": result.error if result else None,
        }
        self._on_failure_sqs.send_message(QueueUrl=self._dlq_url, MessageBody=json.dumps(record))
        self._timeline.log(
            self.worker.config.name,
            f"{condition} after {attempts} attempt(s): on-failure record sent to {self._dlq_url.rsplit('/', 1)[-1]}",
        )


def _describe(event: Any) -> str:
    if isinstance(event, dict):
        return f"{event.get('detail-type')} from {event.get('source')}"
    return type(event).__name__


def _request_ids(event: Any) -> list[str]:
    detail = event.get("detail") if isinstance(event, dict) else None
    return [str(detail.get("request_id", ""))] if isinstance(detail, dict) else []


def _error(result: Result) -> str:
    error = result.error or {}
    return f"{error.get('errorType')}: {error.get('errorMessage')}"
