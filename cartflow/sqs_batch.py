"""Partial batch responses for an SQS event source mapping, without Powertools' batch package.

Importing ``aws_lambda_powertools.utilities.batch`` at module load also imports asyncio and the
whole ``data_classes`` package, a cold-start cost send_reminder pays for one loop. This is that
loop as Powertools' ``BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)`` runs
it: each record handled on its own, every record that raised reported by its ``messageId`` in
``batchItemFailures`` (even when all failed), so the event source mapping deletes the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

# The functions' own logger: a logger named after this module would be a child of the Powertools
# logger only while the service is called "cartflow", and its lines would skip the redaction.
from cartflow.observability import logger

SqsRecord = dict[str, Any]


class ItemIdentifier(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    batchItemFailures: list[ItemIdentifier]


def process_partial_response(
    event: dict[str, Any], record_handler: Callable[[SqsRecord], object]
) -> PartialItemFailureResponse:
    """Run ``record_handler`` on every record; report the ones that raised."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("Invalid event format. Please ensure batch event is a valid SQS event.")
    failures: list[ItemIdentifier] = []
    for record in records:
        try:
            record_handler(record)
        except Exception as error:  # any failure of one record fails that record only
            logger.debug("Record processing exception: %s:%s", type(error), error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
