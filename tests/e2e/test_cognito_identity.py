"""Identity end to end: over HTTP, the token, not the body, decides whose reminder is scheduled.

The local stack runs with auth = "cognito" and the real schedule_reminder zip.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartflow import schedules
from cartlocal.journey import wait_for
from cartlocal.local_stack import LocalStack, Options
from tests.helpers.identity import ADA, SPOOFED_ADD


@pytest.fixture(scope="module")
def cognito_stack(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The local stack with auth = "cognito", running the real schedule_reminder zip only."""
    options = Options(
        dist=built_dist,
        workdir=tmp_path_factory.mktemp("identity"),
        name="cartflow-identity",
        functions=("schedule_reminder",),
        auth="cognito",
    )
    with LocalStack(options) as running:
        yield running


@pytest.mark.e2e
def test_end_to_end_the_token_not_the_body_decides_whose_reminder_is_scheduled(cognito_stack: LocalStack) -> None:
    assert cognito_stack.api is not None
    assert cognito_stack.user_pool is not None
    assert cognito_stack.stack is not None
    body = json.dumps(SPOOFED_ADD).encode()
    request = urllib.request.Request(
        f"{cognito_stack.api.url}/cart", body, {"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert (refused.value.code, json.loads(refused.value.read())) == (401, {"message": "Unauthorized"})
    request.add_header("Authorization", f"Bearer {cognito_stack.user_pool.mint(**ADA)}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200

    scheduler, group = cognito_stack.client("scheduler"), cognito_stack.stack.settings["SCHEDULE_GROUP"]

    def names() -> list[str]:
        return [item["Name"] for item in scheduler.list_schedules(GroupName=group)["Schedules"]]

    assert wait_for(lambda: bool(names()), timeout=30), "no schedule was created"
    assert names() == [schedules.schedule_name("ada", "sku-42")]
    reminder = json.loads(scheduler.get_schedule(Name=names()[0], GroupName=group)["Target"]["Input"])
    assert (reminder["user"], reminder["email"]) == ("ada", "ada@example.com")
