"""Row 7: how long after a save the next invocation runs the new code (`make local`'s hot reload).

A timing, so a benchmark row and never a test assertion: on a loaded machine the rebuild takes
what the CPUs leave it. tests/local/test_hot_reload.py checks the behaviour with the same two
pieces of code (the working copy and the edit-then-invoke step) and no clock.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import Summary
from cartlocal import samples
from cartlocal.lambda_runtime.worker import Result
from cartlocal.local_stack import LocalStack, Options
from cartlocal.timeline import Timeline

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(os.environ.get("CARTFLOW_WHEELHOUSE", ROOT / ".cache" / "wheelhouse"))
GOAL_SECONDS = 3.0
FUNCTION = "schedule_reminder"
# How long to wait for the watcher to report a rebuild before calling the reload lost: a
# time-out for something that should happen, not a budget.
REPORT_TIMEOUT_SECONDS = 120.0


def working_copy(destination: Path, dist: Path) -> Path:
    """The checkout's files as they are now (committed or not), with ``dist`` and the dependency store.

    The copy is watched and edited, so the checkout itself never changes; the dependency trees are
    hard-linked and the copy built once, so a later rebuild redoes only what an edit touches.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / relative)
    shutil.copytree(dist, destination / "dist")
    dependencies = ROOT / ".build" / "dependencies"
    if dependencies.is_dir():
        shutil.copytree(dependencies, destination / ".build" / "dependencies", copy_function=os.link)
    # The watcher's rebuilds run the copy's build.py with the copy's default wheel store: this one's.
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    (destination / ".cache").mkdir(exist_ok=True)
    (destination / ".cache" / "wheelhouse").symlink_to(WHEELHOUSE, target_is_directory=True)
    warm = subprocess.run(  # noqa: S603  # fixed argv, no shell
        [sys.executable, "build.py", "--force", FUNCTION],
        cwd=destination,
        capture_output=True,
        text=True,
        check=False,
    )
    if warm.returncode != 0:
        raise RuntimeError(f"the working copy's first build failed:\n{warm.stderr[-2000:]}")
    return destination


def watching(copy: Path, workdir: Path, name: str) -> LocalStack:
    """A local stack (not started) running ``copy``'s zips and rebuilding them when ``copy`` changes."""
    options = Options(
        dist=copy / "dist",
        workdir=workdir,
        name=name,
        reminder_delay_seconds=3600,
        watch=copy,
        bus_tap=False,
    )
    return LocalStack(options, Timeline(stream=io.StringIO()))


@dataclass(frozen=True)
class Reload:
    """One save of a function's handler and the invocation after its redeployment."""

    marker: str
    seconds: float
    result: Result


def save_and_invoke(stack: LocalStack, copy: Path, event: Any) -> Reload:
    """Append a line printing a unique marker to the handler, wait for the redeploy, invoke once.

    What a developer does: save, then call the function again once the timeline says it is
    redeployed. ``seconds`` runs from the save to the end of that invocation.
    """
    marker = f"hot reload marker {uuid.uuid4().hex}"
    app = copy / "functions" / FUNCTION / "app.py"
    reported = sum("hot-reload" in line for line in stack.timeline.lines)
    app.write_text(app.read_text(encoding="utf-8") + f"\nprint({marker!r})\n", encoding="utf-8")
    saved = time.monotonic()
    while sum("hot-reload" in line for line in stack.timeline.lines) == reported:
        if time.monotonic() - saved > REPORT_TIMEOUT_SECONDS:
            raise TimeoutError(f"no rebuild was reported: {stack.timeline.lines[-8:]}")
        time.sleep(0.05)
    result = stack.invoke(FUNCTION, event)
    return Reload(marker, time.monotonic() - saved, result)


def measure(dist: Path, scratch: Path, saves: int) -> dict[str, Any]:
    """Seconds from save to new code over ``saves`` edits of one warm function."""
    copy = working_copy(scratch / "copy", dist)
    event = samples.generate("ItemAddedToCart")
    with watching(copy, scratch / "local", "bench-hot") as stack:
        if not stack.invoke(FUNCTION, event).ok:
            raise RuntimeError("the first invocation failed")
        seconds = []
        for _ in range(saves):
            reload = save_and_invoke(stack, copy, event)
            if not reload.result.ok:
                raise RuntimeError(f"the invocation after a reload failed: {reload.result}")
            seconds.append(reload.seconds)
    return {"seconds": Summary.of(seconds).as_dict(), "goal_s": GOAL_SECONDS}
