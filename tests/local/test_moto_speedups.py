"""moto's shortcut answers are moto's own answers (checked in a process of their own)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json
import boto3
import jsonpath_ng.ext
from moto import backends, mock_aws
from moto.sqs.models import sqs_backends
from cartlocal.local_aws import moto_speedups

EVENT = {"detail": {"items": [{"sku": "a"}]}}


def answers(queue):
    found = jsonpath_ng.ext.parse("$.detail.items[0].sku").find(EVENT)
    backend = sqs_backends["123456789012"]["eu-west-1"]
    retained = [backend.is_message_valid_based_on_retention_period("q", m) for m in queue._messages]
    return [list(backends.list_of_moto_modules()), [match.value for match in found], retained]


with mock_aws():
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    for body in ("fresh", "expired"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    queue = sqs_backends["123456789012"]["eu-west-1"].get_queue("q")
    queue._messages[1].sent_timestamp -= 61_000
    before = answers(queue)
    moto_speedups.install()
    print(json.dumps({
        "before": before,
        "after": [answers(queue), answers(queue)],
        "modules once": backends.list_of_moto_modules() is backends.list_of_moto_modules(),
        "parser once": jsonpath_ng.ext.parse("$.a") is jsonpath_ng.ext.parse("$.a"),
    }))
"""


def test_the_shortcuts_answer_as_moto_does_and_compute_once() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert len(answer["before"][0]) > 100
    assert answer["before"][1:] == [["a"], [True, False]]
    assert answer["after"] == [answer["before"], answer["before"]]
    assert answer["modules once"]
    assert answer["parser once"]
