"""SQS → Lambda event source mapping for the contract's queues (moto has no Lambda poller).

Like Lambda's poller: batches of up to the batch size (cartflow.pacing, from the consumer's rate
setting) gathered for at most the batching window (stack.json), each invoked synchronously, up to
the mapping's maximum concurrency (cartflow.pacing, as Terraform's scaling_config) at once, each
in an execution environment of its own. One receive loop serves them all, and it receives a batch
only when an invocation may start, so nothing waits received but uninvoked; with
ReportBatchItemFailures only the records the function reports as failed stay on the queue, the
others are deleted. A failed record becomes visible again after the queue's visibility timeout
(time-scaled), and moto moves it to the DLQ once it has been received ``max_receive_count`` times."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cartflow import contract, pacing
from cartlocal.lambda_runtime.envelopes import restore_eventbridge_envelope, sqs_event
from cartlocal.lambda_runtime.pool import WorkerPool
from cartlocal.lambda_runtime.worker import Result, WorkerStoppedError
from cartlocal.local_aws.provision import ACCOUNT_ID, REGION
from cartlocal.pollers.loops import failure
from cartlocal.timeline import Timeline
from cartlocal.timing import TimeScale

SQS_MAX_MESSAGES = 10
# How long a step waits for a running invocation to end: short, so that stopping the loop is prompt.
SLOT_WAIT_SECONDS = 1.0


class QueueEventSource:
    """Polls one queue and invokes its consumer with SQS events."""

    def __init__(
        self,
        queue: str,
        worker: WorkerPool,
        sqs: Any,
        url: str,
        *,
        scale: TimeScale,
        timeline: Timeline,
        on_error: Callable[[str], None],
    ) -> None:
        # ``on_error`` reports a failure of an invocation's thread, as its Loop reports the poll's.
        self.queue, self.worker = queue, worker
        self._sqs, self._url, self._scale, self._timeline = sqs, url, scale, timeline
        self._on_error = on_error
        spec = contract.stack()["queues"][queue]
        rate = int(worker.config.environment[pacing.rate_setting(queue)])
        mapping = pacing.event_source(queue, rate)
        self.batch_size: int = mapping.batch_size
        self.maximum_concurrency: int = mapping.maximum_concurrency
        self._slots = threading.BoundedSemaphore(self.maximum_concurrency)
        self._invocations = ThreadPoolExecutor(self.maximum_concurrency, thread_name_prefix=f"{queue}-invocation")
        self.window_seconds: float = spec["maximum_batching_window_in_seconds"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout"])
        self.arn: str = attributes["Attributes"]["QueueArn"]
        self.visibility_timeout = int(attributes["Attributes"]["VisibilityTimeout"])

    def _batch(self) -> list[dict[str, Any]]:
        """Up to batch_size messages: wait for a first one, then gather for the batching window."""
        messages: list[dict[str, Any]] = []
        window_ends = None
        while len(messages) < self.batch_size:
            wait = 1 if window_ends is None else max(0, round(window_ends - time.monotonic()))
            received = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(SQS_MAX_MESSAGES, self.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if not messages:
                return messages
            if window_ends is None:
                window_ends = time.monotonic() + self.window_seconds
            elif time.monotonic() >= window_ends or not received:
                break
        return messages

    def step(self) -> bool:
        if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
            return True
        try:
            messages = self._batch()
        except BaseException:
            self._slots.release()
            raise
        if not messages:
            self._slots.release()
            return False
        self._invocations.submit(self._invoke, messages)
        return True

    def close(self) -> None:
        """Wait for the invocations under way (stop the worker first, and they end at once)."""
        self._invocations.shutdown(wait=True)

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._handle(messages)
        except WorkerStoppedError:
            pass  # shutting down: the batch stays on the queue, as a stopped mapping leaves it
        except Exception as error:  # a poller reports and carries on, like AWS's
            self._on_error(failure(f"sqs→{self.worker.config.name}", error))
        finally:
            self._slots.release()

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        restored = [{**m, "Body": restore_eventbridge_envelope(m["Body"], ACCOUNT_ID)} for m in messages]
        name = self.worker.config.name
        self._timeline.log(
            name, f"invoked by {self.queue} queue with {len(messages)} record(s)", _request_ids(restored)
        )
        result = self.worker.invoke(sqs_event(restored, self.arn, REGION))
        failed_ids = self._failed(result, {m["MessageId"] for m in messages})
        succeeded = [m for m in messages if m["MessageId"] not in failed_ids]
        failed = [m for m in messages if m["MessageId"] in failed_ids]
        if succeeded:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(succeeded)],
            )
        if failed:
            delay = self._scale.visibility(self.visibility_timeout)
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": delay}
                    for i, m in enumerate(failed)
                ],
            )
            counts = sorted(int(m["Attributes"]["ApproximateReceiveCount"]) for m in failed)
            self._timeline.log(
                name,
                f"{len(failed)} record(s) failed (receive counts {counts}); visible again in {delay} s,"
                f" DLQ after {contract.stack()['queues'][self.queue]['max_receive_count']} receives",
            )

    def _failed(self, result: Result, batch: set[str]) -> set[str]:
        """Message ids to keep: all on an error, else the reported batchItemFailures."""
        if not result.ok:
            error = result.error or {}
            self._timeline.log(
                self.worker.config.name, f"failed: {error.get('errorType')}: {error.get('errorMessage')}"
            )
            return batch
        payload = result.payload
        failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
        if not failures:
            return set()
        ids = {item.get("itemIdentifier") for item in failures if isinstance(item, dict)}
        if not ids <= batch:
            # Lambda treats an identifier that is not in the batch as a failure of the whole batch.
            self._timeline.log(self.worker.config.name, f"invalid batchItemFailures {json.dumps(failures)}")
            return batch
        return {str(item) for item in ids}


def _request_ids(messages: list[dict[str, Any]]) -> list[str]:
    """The request ids of the events in a batch (a body that is not one is skipped)."""
    found = []
    for message in messages:
        try:
            detail = json.loads(message["Body"]).get("detail", {})
        except (ValueError, AttributeError):
            continue
        if isinstance(detail, dict) and isinstance(detail.get("request_id"), str):
            found.append(detail["request_id"])
    return found
