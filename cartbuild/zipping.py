"""Staging a function's tree and writing it as a byte-reproducible zip.

Sorted entries, one fixed timestamp, normalised permissions and unchecked-hash byte-code compiled
with ``/var/task`` paths: the same inputs give the same bytes on any machine, path, umask or clock.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from cartbuild.errors import BuildError
from cartbuild.files import last_line

if TYPE_CHECKING:
    import zipfile

# Where Lambda unpacks the zip; byte-code records this path, never the checkout path.
TASK_ROOT = "/var/task"
# Zip cannot store times before 1980; used when SOURCE_DATE_EPOCH is not set.
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
# A zip entry's local header before its name and extra field (PKWARE APPNOTE 4.3.7).
LOCAL_HEADER_SIZE = 30
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


def write_zip(tree: Path, destination: Path, reuse: Path | None = None) -> int:
    """Zip ``tree`` deterministically into ``destination``; returns the unzipped size.

    ``reuse`` is a zip written by this function (the dependency store's): an entry of it with the
    same name, attributes and content is copied compressed as it is instead of compressed again,
    which gives the same bytes (same data, same level) in a fraction of the time.
    """
    import zipfile  # noqa: PLC0415 - build-only: see cartbuild's docstring

    stamp = time.gmtime(zip_epoch())
    date_time = (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)
    # Entry names as stored (folders end in "/"), sorted, so the order is the zip's own.
    entries = sorted(
        (path.relative_to(tree).as_posix() + ("/" if path.is_dir() else ""), path) for path in tree.rglob("*")
    )
    unzipped = 0
    with (
        zipfile.ZipFile(destination, "w") as archive,
        zipfile.ZipFile(reuse) if reuse is not None else nullcontext() as source,
    ):
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
            if source is None or not _copy_compressed(source, archive, info, data):
                archive.writestr(info, data, compresslevel=9)
    return unzipped


def _copy_compressed(source: zipfile.ZipFile, archive: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> bool:
    """Append ``info`` with ``source``'s compressed bytes of the same entry; False when it differs.

    What ``ZipFile.writestr`` leaves for a deflated entry on a seekable file is its local header
    (final CRC and sizes, no data descriptor, no zip64) followed by the compressed data, then the
    entry in the central directory; this writes exactly that. zipfile has no public call for it,
    hence its ``fp``, ``start_dir`` and ``_didModify`` (the build runs on the pinned Python 3.13 only).
    """
    import zlib  # noqa: PLC0415 - build-only: see cartbuild's docstring

    try:
        stored = source.getinfo(info.filename)
    except KeyError:
        return False
    if (
        stored.compress_type != info.compress_type
        or stored.external_attr != info.external_attr
        or stored.date_time != info.date_time
        or stored.file_size != len(data)
        or zlib.crc32(data) != stored.CRC
    ):
        return False
    assert source.fp is not None
    assert archive.fp is not None
    source.fp.seek(stored.header_offset)
    local_header = source.fp.read(LOCAL_HEADER_SIZE)
    name_length, extra_length = struct.unpack("<HH", local_header[26:30])
    source.fp.seek(name_length + extra_length, os.SEEK_CUR)
    compressed = source.fp.read(stored.compress_size)
    info.file_size, info.compress_size, info.CRC, info.flag_bits = len(data), stored.compress_size, stored.CRC, 0
    archive.fp.seek(archive.start_dir)
    info.header_offset = archive.fp.tell()
    archive.fp.write(info.FileHeader(zip64=False))
    archive.fp.write(compressed)
    archive.start_dir = archive.fp.tell()
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info
    # What writestr sets, so that close() writes the central directory.
    archive._didModify = True  # type: ignore[attr-defined]
    return True
