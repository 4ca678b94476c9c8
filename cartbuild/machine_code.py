"""Which processor architecture the compiled code inside a function zip was built for.

A Lambda function runs on exactly one architecture (x86_64 or arm64); an extension module or a
shared library built for the other one fails to load there. Pure-Python code runs on both. The
build, the tests and the local runtime all ask this module what a zip's compiled code targets,
judged by the two records a zip carries: each ELF file's header (what the loader reads) and each
wheel's ``*.dist-info/WHEEL`` tags (what pip chose).
"""

from __future__ import annotations

import platform
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

ELF_MAGIC = b"\x7fELF"
# e_machine values of the ELF specification for the two Lambda architectures.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}
# The machine part of a wheel's platform tag (manylinux_2_17_aarch64, ...), by Lambda's names.
WHEEL_MACHINES = {"x86_64": "x86_64", "aarch64": "arm64"}
# platform.machine() of a host, by Lambda's names.
HOST_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class CompiledFile:
    """One member of a zip that only runs on one architecture ("unknown" if not a Lambda one)."""

    member: str
    architecture: str


def elf_architecture(header: bytes) -> str | None:
    """The architecture an ELF header names; None when the bytes are not ELF."""
    if len(header) < 20 or not header.startswith(ELF_MAGIC):
        return None
    # e_ident[EI_DATA] (offset 5) is 1 for little-endian, 2 for big-endian; e_machine is at 18.
    machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return ELF_MACHINES.get(machine, "unknown")


def wheel_architectures(wheel_metadata: str) -> set[str]:
    """Architectures of a WHEEL file's platform tags; empty for a pure ``any`` wheel."""
    found = set()
    for line in wheel_metadata.splitlines():
        key, _, value = line.partition(":")
        if key.strip() != "Tag":
            continue
        platform_tag = value.strip().rsplit("-", 1)[-1]
        if platform_tag == "any":
            continue
        found.add(next((arch for machine, arch in WHEEL_MACHINES.items() if platform_tag.endswith(machine)), "unknown"))
    return found


def _may_be_elf(member: str) -> bool:
    name = member.rsplit("/", 1)[-1]
    return name.endswith(".so") or ".so." in name


def compiled_files(archive: zipfile.ZipFile) -> Iterator[CompiledFile]:
    """Every shared object and every platform wheel of the zip, with its architecture."""
    for info in archive.infolist():
        if info.filename.endswith(".dist-info/WHEEL"):
            text = archive.read(info).decode("utf-8", "replace")
            for architecture in sorted(wheel_architectures(text)):
                yield CompiledFile(info.filename, architecture)
        elif _may_be_elf(info.filename):
            with archive.open(info) as handle:
                machine = elf_architecture(handle.read(20))
            if machine is not None:
                yield CompiledFile(info.filename, machine)


def foreign_files(archive: zipfile.ZipFile, architecture: str) -> list[CompiledFile]:
    """The compiled members that cannot run on ``architecture``."""
    return [found for found in compiled_files(archive) if found.architecture != architecture]


def host_architecture() -> str:
    """This machine's architecture by Lambda's names (x86_64 or arm64), or its own name otherwise."""
    machine = platform.machine()
    return HOST_MACHINES.get(machine.lower(), machine)
