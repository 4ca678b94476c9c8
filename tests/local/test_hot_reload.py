"""Hot reload: a saved change to a function's code runs in its next invocation within 3 s, and
only the functions whose zip the change goes into are rebuilt and restarted.

It runs in a temporary copy of the checkout (the watched tree is edited), with the zips and the
dependency store of this checkout linked in, so nothing but the edited function is rebuilt.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartlocal import samples
from cartlocal.hot_reload import HotReload
from cartlocal.lambda_runtime import artifacts
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline
from tests.helpers.paths import ROOT

RELOAD_SECONDS = 3.0
FUNCTIONS = ("schedule_reminder", "cancel_reminders", "send_reminder")


@pytest.fixture
def clone(built_dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The checkout's files as they are now (committed or not), its zips and dependency store."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path / "clone"
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / relative)
    shutil.copytree(built_dist, copy / "dist")
    if (ROOT / ".build" / "dependencies").is_dir():
        shutil.copytree(ROOT / ".build" / "dependencies", copy / ".build" / "dependencies", copy_function=os.link)
    monkeypatch.setenv("CARTFLOW_WHEELHOUSE", str(ROOT / ".cache" / "wheelhouse"))
    # The copy's own build, once: everything is reused, and a missing dependency tree is stored.
    warm = subprocess.run(
        [sys.executable, "build.py", "--force", "schedule_reminder"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert warm.returncode == 0, warm.stderr
    return copy


@pytest.fixture
def running(clone: Path, tmp_path: Path) -> Iterator[LocalStack]:
    options = Options(
        dist=clone / "dist",
        workdir=tmp_path / "local",
        name="cartflow-hot",
        reminder_delay_seconds=3600,
        watch=clone,
        bus_tap=False,
    )
    with LocalStack(options, Timeline(stream=io.StringIO())) as stack:
        yield stack


def test_a_saved_change_runs_in_the_next_invocation_within_3_s_and_only_its_function_restarts(
    clone: Path, running: LocalStack
) -> None:
    added, removed = samples.generate("ItemAddedToCart"), samples.generate("ItemRemovedFromCart")
    assert running.invoke("schedule_reminder", added).ok
    assert running.invoke("cancel_reminders", removed).ok
    others_before = {name: artifacts.load_manifest(clone / "dist")[name].sha256 for name in FUNCTIONS[1:]}
    marker = f"hot reload marker {uuid.uuid4().hex}"
    app = clone / "functions" / "schedule_reminder" / "app.py"
    original = app.read_text(encoding="utf-8")

    app.write_text(original + f"\nprint({marker!r})\n", encoding="utf-8")
    saved = time.monotonic()
    # What a developer does: save, then call the function again once the timeline says it is redeployed.
    while not any("hot-reload" in line for line in running.timeline.lines):
        assert time.monotonic() - saved < 10 * RELOAD_SECONDS, "no rebuild was reported"
        time.sleep(0.05)
    assert running.invoke("schedule_reminder", added).ok
    elapsed = time.monotonic() - saved
    # The function's output reaches the timeline through a reader thread: give it a moment.
    relayed = time.monotonic() + 2
    while not any(marker in line for line in running.timeline.lines) and time.monotonic() < relayed:
        time.sleep(0.02)

    assert any(marker in line for line in running.timeline.lines), "the invocation after the reload ran the old code"
    assert elapsed <= RELOAD_SECONDS, f"new code ran {elapsed:.1f} s after the save: {running.timeline.lines[-8:]}"
    reloads = [line for line in running.timeline.lines if "hot-reload" in line]
    assert len(reloads) == 1
    assert "redeployed schedule_reminder in" in reloads[0]
    assert {name: artifacts.load_manifest(clone / "dist")[name].sha256 for name in FUNCTIONS[1:]} == others_before
    # Not restarted: its next invocation is warm.
    assert running.invoke("cancel_reminders", removed).init_ms is None


def test_a_change_that_does_not_build_keeps_the_previous_code_running(clone: Path, running: LocalStack) -> None:
    app = clone / "functions" / "schedule_reminder" / "app.py"
    app.write_text(app.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")

    deadline = time.monotonic() + 10 * RELOAD_SECONDS
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
