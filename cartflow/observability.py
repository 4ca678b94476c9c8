"""Powertools logger, metrics and tracer shared by the functions, with email addresses redacted from logs.

One logger, one metrics and one tracer object per process, configured once, so every function
logs, counts and traces the same way; the redaction filter sits on the logger so no handler can
forget it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from cartflow import contract

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
# botocore only: every AWS call the functions make is a subsegment, and the X-Ray SDK's other
# patches (requests, httplib, sqlite3 and more) would only add cold-start import time.
tracer = Tracer(patch_modules=("botocore",))
# The handlers' decorator. An exception's message can carry an email address (SES names the
# recipients it refuses): logs redact it, a trace cannot, so the segment records that the
# invocation failed and the logs, under the same request id, say why.
trace_handler = tracer.capture_lambda_handler(capture_error=False)
