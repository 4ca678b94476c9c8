"""cartbuild.machine_code reads the architecture of a zip's compiled code from ELF headers and wheel tags."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

import pytest

from cartbuild.errors import BuildError
from cartbuild.functions import resolve
from cartbuild.machine_code import CompiledFile, compiled_files, elf_architecture, foreign_files, wheel_architectures
from cartbuild.pipeline import refuse_foreign_code

# e_machine of the ELF specification: EM_X86_64 = 62, EM_AARCH64 = 183.
EM_X86_64, EM_AARCH64, EM_PPC64 = 62, 183, 21


def elf_header(machine: int, byteorder: Literal["little", "big"] = "little") -> bytes:
    """The first 20 bytes of a 64-bit shared object for ``machine``."""
    data = 1 if byteorder == "little" else 2
    ident = b"\x7fELF" + bytes([2, data, 1, 0]) + bytes(8)
    return ident + (3).to_bytes(2, byteorder) + machine.to_bytes(2, byteorder)  # e_type ET_DYN


def wheel(*tags: str) -> str:
    return "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n" + "".join(f"Tag: {t}\n" for t in tags)


def archive_of(members: dict[str, bytes | str]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (elf_header(EM_X86_64), "x86_64"),
        (elf_header(EM_AARCH64), "arm64"),
        (elf_header(EM_AARCH64, "big"), "arm64"),
        (elf_header(EM_PPC64), "unknown"),
        (b"import os\n" + bytes(20), None),
        (b"\x7fELF", None),
    ],
)
def test_elf_header_names_the_machine(header: bytes, expected: str | None) -> None:
    assert elf_architecture(header) == expected


def test_wheel_tags_name_the_machine_and_pure_wheels_none() -> None:
    assert wheel_architectures(wheel("py3-none-any")) == set()
    arm = wheel("cp313-cp313-manylinux_2_17_aarch64", "cp313-cp313-manylinux2014_aarch64")
    assert wheel_architectures(arm) == {"arm64"}
    assert wheel_architectures(wheel("cp313-cp313-manylinux_2_17_x86_64")) == {"x86_64"}
    assert wheel_architectures(wheel("cp313-cp313-macosx_11_0_universal2")) == {"unknown"}


def test_foreign_files_are_the_shared_objects_and_wheels_of_another_architecture() -> None:
    archive = archive_of(
        {
            "pure-1.0.dist-info/WHEEL": wheel("py3-none-any"),
            "pure/__init__.py": b"",
            "fast-1.0.dist-info/WHEEL": wheel("cp313-cp313-manylinux_2_17_x86_64"),
            "fast/_speedups.cpython-313-x86_64-linux-gnu.so": elf_header(EM_X86_64),
            "fast.libs/libz-1a2b.so.1.3": elf_header(EM_AARCH64),
            "notes.so.txt": b"not a library",
        }
    )
    assert sorted(compiled_files(archive), key=lambda found: found.member) == [
        CompiledFile("fast-1.0.dist-info/WHEEL", "x86_64"),
        CompiledFile("fast.libs/libz-1a2b.so.1.3", "arm64"),
        CompiledFile("fast/_speedups.cpython-313-x86_64-linux-gnu.so", "x86_64"),
    ]
    assert foreign_files(archive, "arm64") == [
        CompiledFile("fast-1.0.dist-info/WHEEL", "x86_64"),
        CompiledFile("fast/_speedups.cpython-313-x86_64-linux-gnu.so", "x86_64"),
    ]
    assert foreign_files(archive, "x86_64") == [CompiledFile("fast.libs/libz-1a2b.so.1.3", "arm64")]


def test_the_build_refuses_a_zip_with_code_for_another_architecture(tmp_path: Path) -> None:
    built = tmp_path / "send_reminder.zip"
    built.write_bytes(b"")
    with zipfile.ZipFile(built, "w") as archive:
        archive.writestr("fast/_speedups.so", elf_header(EM_X86_64))
    function = resolve("send_reminder", "arm64")
    with pytest.raises(BuildError, match=r"fast/_speedups.so is compiled for x86_64, but the function runs on arm64"):
        refuse_foreign_code(function, built)
    refuse_foreign_code(resolve("send_reminder", "x86_64"), built)
