"""Hot reload: a saved change to a function's code runs in its next invocation, and only the
functions whose zip the change goes into are rebuilt and restarted.

It runs in a working copy of the checkout (the watched tree is edited), with the zips and the
dependency store of this checkout linked in, so nothing but the edited function is rebuilt. How
soon the new code runs is a timing, so it is `make bench`'s row 7 (bench/hot_reload.py, which
shares the copy and the edit-then-invoke step with this test), never an assertion here.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import hot_reload
from cartlocal import samples
from cartlocal.hot_reload import HotReload
from cartlocal.lambda_runtime import artifacts
from cartlocal.local_stack import LocalStack
from cartlocal.timeline import Timeline

FUNCTIONS = ("schedule_reminder", "cancel_reminders", "send_reminder")
# Time-outs for something that must happen, generous for a loaded machine; not budgets.
REPORT_TIMEOUT_SECONDS = hot_reload.REPORT_TIMEOUT_SECONDS
RELAY_TIMEOUT_SECONDS = 10.0


@pytest.fixture
def clone(built_dist: Path, tmp_path: Path) -> Path:
    """The checkout's files as they are now (committed or not), its zips and dependency store."""
    return hot_reload.working_copy(tmp_path / "clone", built_dist)


@pytest.fixture
def running(clone: Path, tmp_path: Path) -> Iterator[LocalStack]:
    with hot_reload.watching(clone, tmp_path / "local", "cartflow-hot") as stack:
        yield stack


def test_a_saved_change_runs_in_the_next_invocation_and_only_its_function_restarts(
    clone: Path, running: LocalStack
) -> None:
    added, removed = samples.generate("ItemAddedToCart"), samples.generate("ItemRemovedFromCart")
    assert running.invoke("schedule_reminder", added).ok
    assert running.invoke("cancel_reminders", removed).ok
    others_before = {name: artifacts.load_manifest(clone / "dist")[name].sha256 for name in FUNCTIONS[1:]}

    reload = hot_reload.save_and_invoke(running, clone, added)

    assert reload.result.ok
    # The function's output reaches the timeline through a reader thread.
    relayed = time.monotonic() + RELAY_TIMEOUT_SECONDS
    while not any(reload.marker in line for line in running.timeline.lines) and time.monotonic() < relayed:
        time.sleep(0.02)
    ran_new_code = any(reload.marker in line for line in running.timeline.lines)
    assert ran_new_code, "the invocation after the reload ran the old code"
    reloads = [line for line in running.timeline.lines if "hot-reload" in line]
    assert len(reloads) == 1
    assert "redeployed schedule_reminder in" in reloads[0]
    assert {name: artifacts.load_manifest(clone / "dist")[name].sha256 for name in FUNCTIONS[1:]} == others_before
    # Not restarted: its next invocation is warm.
    assert running.invoke("cancel_reminders", removed).init_ms is None


def test_a_change_that_does_not_build_keeps_the_previous_code_running(clone: Path, running: LocalStack) -> None:
    app = clone / "functions" / "schedule_reminder" / "app.py"
    app.write_text(app.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")

    deadline = time.monotonic() + REPORT_TIMEOUT_SECONDS
    while not any("build failed" in line for line in running.timeline.lines):
        assert time.monotonic() < deadline, "the failed build was never reported"
        time.sleep(0.1)

    assert running.invoke("schedule_reminder", samples.generate("ItemAddedToCart")).ok
    failure = next(line for line in running.timeline.lines if "build failed" in line)
    assert "still running the previous code" in failure
    assert "app.py" in failure


@pytest.mark.parametrize(
    ("changed", "affected"),
    [
        ("functions/send_reminder/app.py", ["send_reminder"]),
        ("functions/send_reminder/templates/reminder.html", ["send_reminder"]),
        ("cartflow/schedules.py", sorted(FUNCTIONS)),
        ("cartflow/contract/stack.json", sorted(FUNCTIONS)),
        ("functions/not_running/app.py", []),
    ],
)
def test_a_change_affects_the_zips_it_goes_into(tmp_path: Path, changed: str, affected: list[str]) -> None:
    for folder in ("functions", "cartflow"):
        (tmp_path / folder).mkdir()
    reload = HotReload(tmp_path, tmp_path / "dist", FUNCTIONS, lambda names: None, Timeline(stream=io.StringIO()))

    assert reload.affected([tmp_path / changed]) == affected
