"""Staging a function's tree and writing it as a byte-reproducible zip.

Sorted entries, one fixed timestamp, normalised permissions and unchecked-hash byte-code compiled
with ``/var/task`` paths: the same inputs give the same bytes on any machine, path, umask or clock.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cartbuild.errors import BuildError
from cartbuild.files import last_line

# Where Lambda unpacks the zip; byte-code records this path, never the checkout path.
TASK_ROOT = "/var/task"
# Zip cannot store times before 1980; used when SOURCE_DATE_EPOCH is not set.
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
# Not needed at run time: pip bookkeeping (RECORD also lists files we drop or add, and
# direct_url.json can hold host paths), console scripts with host shebangs, type stubs.
DROPPED_METADATA = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
DROPPED_DIRS = frozenset({"__pycache__", "tests", "test"})
DROPPED_SUFFIXES = (".pyc", ".pyo", ".pyi")


def zip_epoch() -> int:
    """The timestamp of every zip entry: SOURCE_DATE_EPOCH if set, never the build time."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return DEFAULT_EPOCH
    if not raw.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {raw!r}")
    return max(int(raw), DEFAULT_EPOCH)


def slim(tree: Path) -> None:
    """Drop what Lambda never reads; keep *.dist-info/METADATA (importlib.metadata needs it)."""
    import shutil  # noqa: PLC0415 - build-only: see cartbuild's docstring

    for path in sorted(tree.rglob("*"), reverse=True):  # children before their folders
        if path.is_dir():
            if path.name in DROPPED_DIRS or path == tree / "bin":
                shutil.rmtree(path)
        elif path.suffix in DROPPED_SUFFIXES or (
            path.parent.name.endswith(".dist-info") and path.name in DROPPED_METADATA
        ):
            path.unlink()


def compile_tree(tree: Path, files: Sequence[Path] | None = None) -> None:
    """Byte-compile every module of ``tree`` (or only its ``files``) as unchecked-hash .pyc (PEP 552).

    The byte-code records /var/task paths, never the checkout's.
    A fresh interpreter with a fixed hash seed does it, so set and frozenset constants are
    marshalled in the same order on every build.
    """
    import subprocess  # noqa: PLC0415 - build-only: see cartbuild's docstring

    targets = [tree] if files is None else [path for path in files if path.suffix == ".py"]
    if not targets:  # compileall without a path would compile sys.path
        return
    command = [
        sys.executable,
        "-I",
        "-m",
        "compileall",
        "-q",
        "-o",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        # Strip the tree, prepend /var/task: the same recorded path for a file named alone.
        "-s",
        str(tree),
        "-p",
        TASK_ROOT,
        *map(str, targets),
    ]
    env = {"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        where = re.search(r'File "(?P<file>[^"]+)", line (?P<line>\d+)', result.stdout)
        at = f"{where['file']}:{where['line']}: " if where else ""
        raise BuildError(f"byte-compiling failed: {at}{last_line(result.stdout + result.stderr)}")


def write_zip(tree: Path, destination: Path) -> int:
    """Zip ``tree`` deterministically into ``destination``; returns the unzipped size."""
    import zipfile  # noqa: PLC0415 - build-only: see cartbuild's docstring

    stamp = time.gmtime(zip_epoch())
    date_time = (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)
    # Entry names as stored (folders end in "/"), sorted, so the order is the zip's own.
    entries = sorted(
        (path.relative_to(tree).as_posix() + ("/" if path.is_dir() else ""), path) for path in tree.rglob("*")
    )
    unzipped = 0
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in entries:
            is_dir = name.endswith("/")
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3  # Unix, so the permission bits below are honoured
            executable = is_dir or path.stat().st_mode & 0o100
            info.external_attr = ((0o40755 if is_dir else 0o100755 if executable else 0o100644) << 16) | (
                0x10 if is_dir else 0
            )
            if is_dir:
                archive.writestr(info, b"")
                continue
            data = path.read_bytes()
            unzipped += len(data)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return unzipped
