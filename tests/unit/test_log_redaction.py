"""Email addresses are redacted from log records, and everything else in them is kept as it was."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cartflow.observability import RedactEmails, logger
from cartflow.sqs_batch import process_partial_response

REDACTED = "[email redacted]"


def record(msg: str, args: object = None, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"msg": msg, "args": args, **extra})
    assert RedactEmails().filter(made)
    return made


def test_positional_arguments_are_redacted_and_still_formatted() -> None:
    assert record("failed for %s after %d tries", ("eve@example.net", 3)).getMessage() == (
        f"failed for {REDACTED} after 3 tries"
    )


def test_mapping_arguments_are_redacted_and_still_formatted() -> None:
    made = record("for %(user)s at %(to)s", {"user": "ada", "to": "ada@example.com"})
    assert made.getMessage() == f"for ada at {REDACTED}"


def test_an_object_argument_is_redacted_as_its_text() -> None:
    assert record("%s:%s", (RuntimeError, RuntimeError("refused eve@example.net"))).getMessage() == (
        f"<class 'RuntimeError'>:refused {REDACTED}"
    )


def test_extra_values_are_redacted_inside_dicts_and_lists_keeping_their_shape() -> None:
    made = record("x", to=["bob@mail.example.org", "not an address"], nested={"a": "c@d.io", "n": 1})
    assert made.__dict__["to"] == [REDACTED, "not an address"]
    assert made.__dict__["nested"] == {"a": REDACTED, "n": 1}


# What reaches the logs is what the functions' Powertools handler writes: those lines are checked.
ADDRESSES = ("ada@example.com", "bob.smith+tag@mail.example.org", "eve@example.net")


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], str]]:
    """The lines the functions' log handler writes during the test, at DEBUG (LOG_LEVEL=DEBUG)."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    monkeypatch.setattr(handler, "stream", written)
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    try:
        yield written.getvalue
    finally:
        logger.setLevel(level)


def assert_no_address(lines: str) -> None:
    assert lines
    for address in ADDRESSES:
        assert address not in lines


def test_mapping_arguments_never_reach_a_log_line(log_lines: Callable[[], str]) -> None:
    logger.info("reminder for %(to)s", {"to": ADDRESSES[0]})
    assert_no_address(log_lines())
    assert f"reminder for {REDACTED}" in log_lines()


def test_an_exception_and_its_cause_never_bring_an_address_to_a_log_line(log_lines: Callable[[], str]) -> None:
    try:
        try:
            raise ValueError(f"refused {ADDRESSES[1]}")
        except ValueError as cause:
            raise RuntimeError(f"SES refused the recipients: {ADDRESSES[2]}") from cause
    except RuntimeError:
        logger.exception("SES rejected the reminder")
    lines = log_lines()
    assert_no_address(lines)
    entry = json.loads(lines)
    assert entry["exception_name"] == "RuntimeError"
    assert f"SES refused the recipients: {REDACTED}" in entry["exception"]


def test_a_failed_records_error_logged_by_the_batch_loop_never_shows_an_address(
    log_lines: Callable[[], str],
) -> None:
    def refuse(record: dict[str, Any]) -> None:
        raise RuntimeError(f"Email address is not verified: {record['body']}")

    answer = process_partial_response({"Records": [{"messageId": "m-1", "body": ADDRESSES[0]}]}, refuse)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    lines = log_lines()
    assert_no_address(lines)
    assert f"Email address is not verified: {REDACTED}" in lines
