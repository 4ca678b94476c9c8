"""cartflow.sqs_batch answers like Powertools' SQS BatchProcessor, and send_reminder loads without that package."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from cartbuild import functions, verify
from cartflow.sqs_batch import process_partial_response
from tests.helpers.paths import ROOT


def records(*ids: str) -> dict[str, Any]:
    return {"Records": [{"messageId": message_id, "body": message_id} for message_id in ids]}


def fail_on(*bad: str) -> Any:
    def handle(record: dict[str, Any]) -> None:
        if record["body"] in bad:
            raise RuntimeError(record["body"])

    return handle


def test_only_the_records_that_raised_are_reported_in_order() -> None:
    response = process_partial_response(records("a", "b", "c"), fail_on("c", "a"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]}


def test_a_batch_that_failed_entirely_is_answered_not_raised() -> None:
    assert process_partial_response(records("a", "b"), fail_on("a", "b")) == {
        "batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]
    }
    assert process_partial_response(records(), fail_on()) == {"batchItemFailures": []}


def test_an_event_without_records_is_refused() -> None:
    with pytest.raises(ValueError, match="valid SQS event"):
        process_partial_response({"detail": {}}, fail_on())


def test_send_reminder_loads_neither_the_batch_package_nor_asyncio() -> None:
    script = (
        "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); import app; "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'asyncio' or m.startswith("
        "('aws_lambda_powertools.utilities.batch', 'aws_lambda_powertools.utilities.data_classes')))))"
    )
    paths = [str(ROOT / "functions" / "send_reminder"), str(ROOT)]
    environment = verify.verify_environment(functions.resolve("send_reminder", None))
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(paths)], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
