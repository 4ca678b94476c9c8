"""Powertools logger and metrics shared by the functions, and the one way to reject bad input.

Every function must log a rejected event with its reason, count it (metric ``InvalidEvents``)
and fail so the event reaches a DLQ; doing it in one place keeps the three functions alike.
Reasons name fields and rules, never values, so no email address reaches the logs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from cartflow import contract
from cartflow.models import Detail, Event, InvalidPayloadError, parse_event

# Email addresses are the PII this system carries. The contract's own pattern, unanchored, finds
# them in a log record's message, arguments and extra keys, so none reaches the logs.
EMAIL = re.compile(contract.load("api/add_item.schema.json")["properties"]["email"]["pattern"].strip("^$"))
REDACTED = "[email redacted]"
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class RedactEmails(logging.Filter):
    """Replace every email address in a log record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if record.args:
            record.args = tuple(_redact(arg) for arg in record.args) if isinstance(record.args, tuple) else record.args
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES:
                setattr(record, key, _redact(value))
        return True


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(item) for item in value)
    return value


logger = Logger()
logger.addFilter(RedactEmails())
metrics = Metrics()

INVALID_EVENTS = "InvalidEvents"


class InvalidEventError(ValueError):
    """The input can never be processed; retrying it only moves it to the DLQ."""


def reject(reason: str, **keys: Any) -> InvalidEventError:
    """Log and count an invalid input; return the error for the caller to raise."""
    logger.error("invalid input rejected", extra={"reason": reason, **keys})
    metrics.add_metric(name=INVALID_EVENTS, unit=MetricUnit.Count, value=1)
    return InvalidEventError(reason)


def parse[DetailT: Detail](payload: Any, detail: type[DetailT], **keys: Any) -> Event[DetailT]:
    """Validate ``payload`` (a dict or JSON text) as an event carrying ``detail``, or reject it."""
    try:
        return parse_event(payload, detail)
    except InvalidPayloadError as error:
        raise reject(str(error), model=detail.__name__, **keys) from None
