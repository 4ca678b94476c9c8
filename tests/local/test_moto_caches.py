"""moto's remembered lookups answer as moto's own do (checked in a process of their own)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json
import jsonpath_ng.ext
from moto import backends
from cartlocal.local_aws import moto_caches

EVENT = {"detail": {"items": [{"sku": "a"}]}}


def answers():
    found = jsonpath_ng.ext.parse("$.detail.items[0].sku").find(EVENT)
    return [list(backends.list_of_moto_modules()), [match.value for match in found]]


before = answers()
moto_caches.install()
print(json.dumps({
    "before": before,
    "after": [answers(), answers()],
    "modules once": backends.list_of_moto_modules() is backends.list_of_moto_modules(),
    "parser once": jsonpath_ng.ext.parse("$.a") is jsonpath_ng.ext.parse("$.a"),
}))
"""


def test_the_cached_lookups_answer_as_moto_does_and_are_computed_once() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert len(answer["before"][0]) > 100
    assert answer["before"][1] == ["a"]
    assert answer["after"] == [answer["before"], answer["before"]]
    assert answer["modules once"]
    assert answer["parser once"]
