"""One request's path from the API call to the email: ``make trace REQUEST=<request id> [ENV=<env>]``.

The API's request id travels in every event of the request (``detail.request_id``, the scheduled
reminder included) and every function logs it as its Powertools ``correlation_id``, so it ties
the whole journey together across the Scheduler hop. Locally the timeline is assembled from the
local stack's archive (the events on the bus) and the functions' log files; for a deployed stack
the CloudWatch Logs Insights query over the functions' log groups is printed, ready to run.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from cartflow import contract
from cartflow.timestamps import parse_timestamp

# The contract's own rule for a request id, so nothing else can reach the query text.
REQUEST_ID = re.compile(contract.event_schema("ItemAddedToCart")["properties"]["request_id"]["pattern"])
POWERTOOLS_TIME = "%Y-%m-%d %H:%M:%S,%f%z"
_SHOWN = ("outcome", "outcomes", "reminder_id", "message_id", "reason")


class TraceError(ValueError):
    """Not a request id, or no local stack output to read."""


def checked(request_id: str) -> str:
    if not REQUEST_ID.fullmatch(request_id):
        raise TraceError(f"{request_id!r} is not a request id (the API's $context.requestId)")
    return request_id


def local_timeline(workdir: Path, request_id: str) -> list[str]:
    """Every bus event and function log line of ``request_id``, in time order."""
    archive, logs = workdir / "archive.jsonl", workdir / "logs"
    if not archive.exists() or not logs.is_dir():
        raise TraceError(f"no local stack output in {workdir} (archive.jsonl, logs/): run make local or make demo")
    entries: list[tuple[datetime, str]] = []
    for line in archive.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("detail", {}).get("request_id") == request_id:
            moment = parse_timestamp(event["time"])
            entries.append((moment, f"bus       {event['source']} {event['detail-type']}"))
    for log in sorted(logs.glob("*.log")):
        for line in log.read_text(encoding="utf-8").splitlines():
            record = _record(line)
            if record is not None and record.get("correlation_id") == request_id:
                moment = datetime.strptime(record["timestamp"], POWERTOOLS_TIME)
                extra = " ".join(f"{key}={json.dumps(record[key])}" for key in _SHOWN if key in record)
                entries.append((moment, f"{log.stem:<9} {record['level']} {record['message']} {extra}".rstrip()))
    entries.sort(key=lambda entry: entry[0])
    return [f"{moment:%H:%M:%S.%f}"[:-3] + f"  {text}" for moment, text in entries]


def _record(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "_aws" not in record and "timestamp" in record else None


def insights_query(stack_name: str, request_id: str) -> str:
    """The AWS CLI command that runs the Logs Insights query of ``request_id`` over the functions' logs."""
    groups = [
        f"/aws/lambda/{contract.resource_name('function', stack_name, fn)}" for fn in contract.stack()["functions"]
    ]
    query = (
        "fields @timestamp, @log, level, message, outcome, reminder_id, message_id"
        f' | filter correlation_id = "{request_id}"'
        " | sort @timestamp asc"
    )
    return (
        "aws logs start-query --start-time $(date -d '-14 days' +%s) --end-time $(date +%s) "
        f"--log-group-names {' '.join(groups)} --query-string {shlex.quote(query)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cartops.trace", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("request_id", help="the API's request id (the x-amzn-RequestId of the answer)")
    parser.add_argument("--stack", help="a deployed stack (cartflow-<env>): print the Logs Insights query")
    parser.add_argument("--workdir", type=Path, default=Path(".local"), help="the local stack's folder")
    args = parser.parse_args(argv)
    try:
        request_id = checked(args.request_id)
        if args.stack:
            print(insights_query(args.stack, request_id))
            return 0
        lines = local_timeline(args.workdir, request_id)
    except TraceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines) if lines else f"nothing recorded for request {request_id} in {args.workdir}")
    return 0 if lines else 1


if __name__ == "__main__":
    sys.exit(main())
