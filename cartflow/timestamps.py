"""The contract's timestamps: ISO 8601 UTC with ``Z`` written, ordered; the HTTP API's CLF form read too.

Events, schedules, release manifests and reports all write timestamps; one formatter keeps them
comparable, and ordering goes through epoch milliseconds because the strings do not sort
(``...:00.5Z`` < ``...:00Z``). The HTTP API option cannot write ISO 8601: the only request time its
parameter mapping has is ``$context.requestTime`` (``28/Nov/2026:04:05:06 +0000``, whole seconds),
so the cart events' ``occurred_at`` may carry that form (the event schemas allow both) and every
reader parses it here, into the same instant; what we write stays ISO 8601.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# English month names whatever the process locale (strptime's %b would follow it).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CLF = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")


def _parse_clf(match: re.Match[str]) -> datetime:
    day, month, year, hour, minute, second, sign, offset_hours, offset_minutes = match.groups()
    if month not in _MONTHS:
        raise ValueError(f"not a month: {month!r}")
    offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
    zone = timezone(-offset if sign == "-" else offset)
    moment = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second), tzinfo=zone)
    return moment.astimezone(UTC)


def parse_timestamp(value: str) -> datetime:
    """Parse a contract timestamp (ISO-8601 UTC ``...Z``, or the HTTP API's CLF request time) into an aware datetime."""
    if (clf := _CLF.fullmatch(value)) is not None:
        return _parse_clf(clf)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def canonical(value: str) -> str:
    """A contract timestamp in the form we write: ISO text unchanged (its precision kept), CLF rewritten."""
    clf = _CLF.fullmatch(value)
    return value if clf is None else format_timestamp(_parse_clf(clf))


def epoch_ms(value: str) -> int:
    """A contract timestamp as epoch milliseconds, for ordering: as strings, ``...:00.5Z`` < ``...:00Z``."""
    return round(parse_timestamp(value).timestamp() * 1000)


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime the way the contract's timestamps are written."""
    return moment.strftime(FORMAT)


def now() -> str:
    """The current time in the contract's format."""
    return format_timestamp(datetime.now(UTC))
