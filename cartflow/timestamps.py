"""The contract's one timestamp format (ISO 8601, UTC, whole seconds, ``Z``): written, read, ordered.

Events, schedules, release manifests and reports all write timestamps; one formatter keeps them
comparable, and ordering goes through epoch milliseconds because the strings do not sort
(``...:00.5Z`` < ``...:00Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timestamp(value: str) -> datetime:
    """Parse the contract's ISO-8601 UTC timestamps (``...Z``) into aware datetimes."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def epoch_ms(value: str) -> int:
    """A contract timestamp as epoch milliseconds, for ordering: as strings, ``...:00.5Z`` < ``...:00Z``."""
    return round(parse_timestamp(value).timestamp() * 1000)


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way the contract's timestamps are written."""
    return moment.strftime(FORMAT)


def now() -> str:
    """The current time in the contract's format."""
    return format_timestamp(datetime.now(UTC))
