"""make trace: one request's timeline from the local stack's archive and logs; the Insights query for AWS."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cartflow import contract
from cartlocal.timeline import Timeline
from cartops import trace

REQUEST = "0cea2476-c041-4be4-ad13-b48a3cd80c88"


def powertools(function: str, at: str, message: str, correlation_id: str, **extra: str) -> str:
    """A log line as Powertools writes it (keys and timestamp format of the functions' real logs)."""
    record = {"level": "INFO", "message": message, "timestamp": at, "service": "cartflow"}
    return json.dumps({**record, "function_name": function, "correlation_id": correlation_id, **extra})


def event(detail_type: str, time: str, request_id: str) -> str:
    source = contract.event_type(detail_type)["source"]
    return json.dumps(
        {"time": time, "source": source, "detail-type": detail_type, "detail": {"request_id": request_id}}
    )


def test_the_local_timeline_follows_the_request_across_the_scheduler_hop(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "archive.jsonl").write_text(
        "\n".join(
            [
                event("ItemAddedToCart", "2030-01-01T10:00:00Z", REQUEST),
                event("ItemAddedToCart", "2030-01-01T10:00:00Z", "someone-else"),
                event("CartReminderDue", "2030-01-02T10:00:00Z", REQUEST),
                event("CartReminderSent", "2030-01-02T10:00:02Z", REQUEST),
            ]
        )
    )
    (tmp_path / "logs" / "schedule_reminder.log").write_text(
        powertools(
            "schedule_reminder", "2030-01-01 10:00:00,500+0000", "reminder scheduled", REQUEST, outcome="created"
        )
        + '\n{"_aws": {"Timestamp": 1}, "SchedulesCreated": [1.0]}\nnot json\n'
    )
    (tmp_path / "logs" / "send_reminder.log").write_text(
        powertools("send_reminder", "2030-01-02 10:00:01,000+0000", "reminder sent", REQUEST, message_id="m-1")
    )

    lines = trace.local_timeline(tmp_path, REQUEST)

    assert [line.split("  ", 1)[1].split()[:3] for line in lines] == [
        ["bus", "cartflow.cart", "ItemAddedToCart"],
        ["schedule_reminder", "INFO", "reminder"],
        ["bus", "cartflow.reminders", "CartReminderDue"],
        ["send_reminder", "INFO", "reminder"],
        ["bus", "cartflow.reminders", "CartReminderSent"],
    ]
    assert 'outcome="created"' in lines[1]
    assert lines[0].startswith("10:00:00.000")


def test_on_aws_the_insights_query_covers_every_function_and_only_a_request_id_gets_in() -> None:
    command = trace.insights_query("cartflow-prod", REQUEST)
    for function in contract.stack()["functions"]:
        assert f"/aws/lambda/{contract.resource_name('function', 'cartflow-prod', function)}" in command
    assert f'filter correlation_id = "{REQUEST}"' in command
    with pytest.raises(trace.TraceError, match="is not a request id"):
        trace.checked('x" or 1=1 | fields @message')


def test_without_a_local_stack_the_trace_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trace.main([REQUEST, "--workdir", str(tmp_path)]) == 2
    assert "no local stack output" in capsys.readouterr().err


def test_an_entry_logged_before_the_one_that_links_it_to_the_request_is_in_its_trace() -> None:
    # The outbox can log an email (keyed by SES's message id) before the function's log line that
    # ties that message id to the request reaches the timeline through its reader thread.
    timeline = Timeline(stream=io.StringIO())
    timeline.log("api", "POST /cart", [REQUEST])
    timeline.log("ses", "email to ada@example.com", ["message-1"])
    timeline.log("  send_reminder", "reminder sent", [REQUEST, "message-1"])
    timeline.log("ses", "email to bob@example.com", ["message-2"])

    assert [entry.message for entry in timeline.trace(REQUEST)] == [
        "POST /cart",
        "email to ada@example.com",
        "reminder sent",
    ]
