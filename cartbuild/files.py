"""File helpers every packaging step shares: atomic writes, hashes, sizes and paths as typed.

A zip or manifest must never be seen half-written (Terraform, CI and the local runtime read them
while a build may run), so everything packaging writes goes through :func:`write_atomically`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_atomically(destination: Path, data: bytes) -> None:
    """Write a uniquely named hidden file next to ``destination``, then rename it into place."""
    descriptor, staged = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(staged, 0o644)  # mkstemp creates 0600; the zip is read by Terraform and CI
        os.replace(staged, destination)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def display(path: Path) -> str:
    """A path as the user typed it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
