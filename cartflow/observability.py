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
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from cartflow import contract

# Email addresses are the PII this system carries. The contract's own pattern, unanchored, finds
# them in a log record's message, arguments and extra keys, so none reaches the logs.
EMAIL = re.compile(contract.load("api/add_item.schema.json")["properties"]["email"]["pattern"].strip("^$"))
REDACTED = "[email redacted]"
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_EXCEPTION_TEXT = logging.Formatter()


class RedactEmails(logging.Filter):
    """Replace every email address in a log record before any handler formats it.

    The message is formatted here (positional or mapping arguments, or any object's ``str``),
    redacted, and kept without arguments; an exception's text, its causes included, is formatted
    and redacted into ``exc_text``, which the standard formatter prints instead of formatting it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or not isinstance(record.msg, (str, dict, list, tuple)):
            try:
                record.msg = _redact(record.getMessage())
            except (TypeError, ValueError, KeyError):  # a malformed call: keep its parts, redacted
                record.msg = _redact(f"{record.msg} {record.args!r}")
            record.args = None
        else:
            record.msg = _redact(record.msg)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _redact(_EXCEPTION_TEXT.formatException(record.exc_info))
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES:
                setattr(record, key, _redact(value))
        return True


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines with every email address replaced, whatever put it there.

    The filter above sees only the records of the logger it sits on, and Powertools formats an
    exception from the exception itself; so the line itself is redacted too. That covers the
    records of child loggers (``cartflow.sqs_batch`` logs each failed record's error), exception
    messages and causes, and anything an extra key's ``str`` brings.
    """

    def format(self, record: logging.LogRecord) -> str:
        return EMAIL.sub(REDACTED, super().format(record))


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(item) for item in value)
    return value


logger = Logger(logger_formatter=RedactingFormatter())
logger.addFilter(RedactEmails())
metrics = Metrics()
# botocore only: every AWS call the functions make is a subsegment, and the X-Ray SDK's other
# patches (requests, httplib, sqlite3 and more) would only add cold-start import time.
tracer = Tracer(patch_modules=("botocore",))
# The handlers' decorator. An exception's message can carry an email address (SES names the
# recipients it refuses): logs redact it, a trace cannot, so the segment records that the
# invocation failed and the logs, under the same request id, say why.
trace_handler = tracer.capture_lambda_handler(capture_error=False)
