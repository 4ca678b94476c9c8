"""The one way a function accepts or rejects its input: parse by the contract, or log, count and fail.

Every function must log a rejected event with its reason, count it (metric ``InvalidEvents``)
and fail so the event reaches a DLQ; doing it in one place keeps the functions alike. Reasons
name fields and rules, never values, so no email address reaches the logs.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from cartflow.models import Detail, Event, InvalidPayloadError, parse_event
from cartflow.observability import logger, metrics

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
