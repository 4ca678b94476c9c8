"""Email addresses are redacted from log records, and everything else in them is kept as it was."""

from __future__ import annotations

import logging

from cartflow.observability import RedactEmails

REDACTED = "[email redacted]"


def record(msg: str, args: object = None, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"msg": msg, "args": args, **extra})
    assert RedactEmails().filter(made)
    return made


def test_positional_arguments_are_redacted_and_still_formatted() -> None:
    assert record("failed for %s after %d tries", ("eve@example.net", 3)).getMessage() == (
        f"failed for {REDACTED} after 3 tries"
    )


def test_mapping_arguments_are_left_to_the_formatter() -> None:
    assert record("for %(user)s", {"user": "ada"}).getMessage() == "for ada"


def test_extra_values_are_redacted_inside_dicts_and_lists_keeping_their_shape() -> None:
    made = record("x", to=["bob@mail.example.org", "not an address"], nested={"a": "c@d.io", "n": 1})
    assert made.__dict__["to"] == [REDACTED, "not an address"]
    assert made.__dict__["nested"] == {"a": REDACTED, "n": 1}
