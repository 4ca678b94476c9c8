"""actions/upload-artifact and actions/download-artifact (v4 and later), played on a local folder.

The behaviours kept, from the actions' READMEs (sources in docs/shipping.md):
- ``path`` is one or more lines of files, directories or globs; ``!pattern`` lines exclude.
- The artifact's root is the least common ancestor of everything matched, so a single file is
  stored under its own name and downloads into ``path`` without its directories.
- Files and directories whose name starts with a dot are left out unless ``include-hidden-files``
  is true.
- ``if-no-files-found``: ``warn`` (the default) uploads nothing and warns, ``error`` fails the
  step, ``ignore`` says nothing.
- An artifact's name is unique within a run: uploading it again fails unless ``overwrite``.
- ``download-artifact`` with a ``name`` fails when no artifact of that name exists in the run,
  and extracts its files into ``path`` (default: the workspace).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cartship.rehearsal.errors import RehearsalError

Say = Callable[[str], None]


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _matches(workspace: Path, pattern: str) -> list[Path]:
    """Files a ``path`` line names: a file, every file under a directory, or a glob's files."""
    target = workspace / pattern
    if any(char in pattern for char in "*?["):
        found = [path for path in workspace.glob(pattern) if path.exists()]
    else:
        found = [target] if target.exists() else []
    files: list[Path] = []
    for path in found:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


def _search_path(workspace: Path, line: str) -> Path:
    """Where a ``path`` line's search starts: the line itself, or its components before a wildcard."""
    parts = Path(line).parts
    static = [
        part for part in parts[: next((i for i, p in enumerate(parts) if any(c in p for c in "*?[")), len(parts))]
    ]
    return workspace.joinpath(*static)


def _root(workspace: Path, lines: list[str]) -> Path:
    """The artifact's root: the least common ancestor of several search paths; for one, itself or its folder."""
    search = [_search_path(workspace, line) for line in lines]
    if len(search) > 1:
        return Path(os.path.commonpath([str(path) for path in search]))
    return search[0] if search[0].is_dir() else search[0].parent


def upload(store: Path, workspace: Path, inputs: Mapping[str, Any], say: Say) -> None:
    name = str(inputs.get("name") or "artifact")
    lines = [line.strip() for line in str(inputs.get("path", "")).splitlines() if line.strip()]
    if not lines:
        raise RehearsalError("upload-artifact: Input required and not supplied: path")
    include_hidden = str(inputs.get("include-hidden-files", "false")).lower() == "true"
    missing = str(inputs.get("if-no-files-found", "warn")).lower()
    included = [line for line in lines if not line.startswith("!")]
    excluded: set[Path] = set()
    for line in lines:
        if line.startswith("!"):
            excluded.update(_matches(workspace, line[1:]))
    root = _root(workspace, included)
    files = [
        path
        for line in included
        for path in _matches(workspace, line)
        if path not in excluded and (include_hidden or not _hidden(path.relative_to(workspace)))
    ]
    if not files:
        message = f"No files were found with the provided path: {chr(10).join(lines)}. No artifacts will be uploaded."
        if missing == "error":
            raise RehearsalError(f"upload-artifact {name}: {message}")
        if missing == "warn":
            say(f"warning: upload-artifact {name}: {message}")
        return
    destination = store / name
    if destination.exists():
        if str(inputs.get("overwrite", "false")).lower() != "true":
            raise RehearsalError(
                f"upload-artifact {name}: Failed to CreateArtifact: an artifact with this name already exists on the "
                "workflow run"
            )
        shutil.rmtree(destination)
    for path in files:
        target = destination / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    say(f"uploaded artifact {name}: {len(files)} file(s)")


def download(store: Path, workspace: Path, inputs: Mapping[str, Any], say: Say) -> None:
    name = inputs.get("name")
    if not name:
        raise RehearsalError("download-artifact without a name (every artifact of the run) is not rehearsed")
    source = store / str(name)
    if not source.is_dir():
        raise RehearsalError(f"download-artifact: Unable to download artifact(s): Artifact not found for name: {name}")
    destination = workspace / str(inputs.get("path") or ".")
    shutil.copytree(source, destination, dirs_exist_ok=True)
    say(f"downloaded artifact {name} into {destination.relative_to(workspace)}")
