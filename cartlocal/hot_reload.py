"""Hot reload for `make local`: a saved change to a function or to cartflow runs within seconds.

It polls ``functions/`` and ``cartflow/`` of a source tree (a few dozen files: cheaper than a
dependency, and the same on every platform). A change is mapped to the functions whose zips it
goes into (``functions/<name>/``: that one; ``cartflow/``: every zip, the package is in each),
those are rebuilt with that tree's own ``build.py`` (incremental: an unchanged input rebuilds
nothing) and only the functions whose zip changed are redeployed; the next invocation of each
starts cold on the new code. A build that fails keeps the previous code running and says why.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path

from cartlocal.lambda_runtime import artifacts
from cartlocal.timeline import Timeline

WATCHED = ("functions", "cartflow")
# Editors save in several writes (temporary file, rename, metadata): wait for the tree to settle.
SETTLE_SECONDS = 0.05
BUILD_TIMEOUT_SECONDS = 600

Snapshot = dict[Path, tuple[int, int]]


class HotReload:
    """One poller step: notice changes under ``root``, rebuild, hand rebuilt functions to ``redeploy``."""

    def __init__(
        self,
        root: Path,
        dist: Path,
        functions: Collection[str],
        redeploy: Callable[[list[str]], None],
        timeline: Timeline,
    ) -> None:
        self.root, self._dist = root, dist
        self._functions = sorted(functions)
        self._redeploy, self._timeline = redeploy, timeline
        self._seen = self._snapshot()

    def _snapshot(self) -> Snapshot:
        files: Snapshot = {}
        for folder in WATCHED:
            for path in (self.root / folder).rglob("*"):
                if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file():
                    continue
                try:
                    status = path.stat()
                except FileNotFoundError:  # removed while listing: the next step sees it gone
                    continue
                files[path] = (status.st_mtime_ns, status.st_size)
        return files

    def affected(self, changed: Collection[Path]) -> list[str]:
        """The running functions whose zip holds one of ``changed``."""
        names: set[str] = set()
        for path in changed:
            parts = path.relative_to(self.root).parts
            if parts[0] == "cartflow":
                return list(self._functions)
            if len(parts) > 2 and parts[1] in self._functions:
                names.add(parts[1])
        return sorted(names)

    def step(self) -> bool:
        current = self._snapshot()
        if current == self._seen:
            return False
        time.sleep(SETTLE_SECONDS)
        current = self._snapshot()
        changed = {path for path in current.keys() | self._seen.keys() if current.get(path) != self._seen.get(path)}
        self._seen = current
        if names := self.affected(changed):
            self._reload(names)
        return True

    def _reload(self, names: list[str]) -> None:
        started = time.monotonic()
        before = _hashes(self._dist)
        # The tree's own build.py: its cartbuild knows that tree's functions and sources.
        build = subprocess.run(  # noqa: S603  # fixed argv, no shell
            [sys.executable, str(self.root / "build.py"), "--out", str(self._dist), *names],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        if build.returncode != 0:
            reason = (build.stderr.strip().splitlines() or ["no output"])[-1]
            self._timeline.log("hot-reload", f"build failed, still running the previous code: {reason}")
            return
        after = _hashes(self._dist)
        rebuilt = [name for name in names if after.get(name) != before.get(name)]
        if not rebuilt:
            self._timeline.log("hot-reload", f"{', '.join(names)}: nothing to rebuild (inputs unchanged)")
            return
        self._redeploy(rebuilt)
        self._timeline.log(
            "hot-reload",
            f"rebuilt and redeployed {', '.join(rebuilt)} in {time.monotonic() - started:.1f} s; "
            "the next invocation runs the new code",
        )


def _hashes(dist: Path) -> dict[str, str]:
    return {name: entry.sha256 for name, entry in artifacts.load_manifest(dist).items()}
