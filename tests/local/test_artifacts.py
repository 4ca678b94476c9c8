"""The local runtime refuses a zip whose compiled code Lambda or this host could not load."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from cartbuild.machine_code import host_architecture
from cartbuild.manifest import Entry, base64_of
from cartlocal.errors import LocalError
from cartlocal.lambda_runtime.artifacts import unpack
from tests.unit.test_machine_code import EM_AARCH64, EM_X86_64, elf_header

ELF_OF = {"x86_64": elf_header(EM_X86_64), "arm64": elf_header(EM_AARCH64)}
OTHER = {"x86_64": "arm64", "arm64": "x86_64"}


def dist_with(tmp_path: Path, architecture: str, members: dict[str, bytes]) -> tuple[Entry, Path]:
    dist = tmp_path / "dist"
    dist.mkdir()
    with zipfile.ZipFile(dist / "send_reminder.zip", "w") as archive:
        for name, data in {"app.py": b"def handler(event, context):\n    return None\n", **members}.items():
            archive.writestr(name, data)
    body = (dist / "send_reminder.zip").read_bytes()
    sha256 = hashlib.sha256(body).hexdigest()
    entry = Entry(
        zip="send_reminder.zip",
        sha256=sha256,
        source_code_hash=base64_of(sha256),
        runtime="python3.13",
        architecture=architecture,
        handler="app.handler",
        zipped_size=len(body),
    )
    return entry, dist


def test_pure_python_for_either_architecture_runs_here(tmp_path: Path) -> None:
    host = host_architecture()
    for architecture in (host, OTHER[host]):
        (tmp_path / architecture).mkdir()
        entry, dist = dist_with(tmp_path / architecture, architecture, {})
        assert (unpack("send_reminder", entry, dist, tmp_path / architecture / "tasks") / "app.py").is_file()


def test_code_compiled_for_another_architecture_than_declared_is_refused(tmp_path: Path) -> None:
    host = host_architecture()
    entry, dist = dist_with(tmp_path, OTHER[host], {"fast/_speedups.so": ELF_OF[host]})
    with pytest.raises(LocalError, match="Lambda could not load it") as raised:
        unpack("send_reminder", entry, dist, tmp_path / "tasks")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "tasks").exists()


def test_code_compiled_for_the_declared_architecture_but_not_this_host_is_refused(tmp_path: Path) -> None:
    other = OTHER[host_architecture()]
    entry, dist = dist_with(tmp_path, other, {"fast/_speedups.so": ELF_OF[other]})
    with pytest.raises(LocalError, match="this host cannot run it") as raised:
        unpack("send_reminder", entry, dist, tmp_path / "tasks")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "tasks").exists()
