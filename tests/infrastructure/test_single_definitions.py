"""Facts written once stay written once: the timestamp format, and no module named ``build`` imported.

A second copy of the format is how timestamps drift apart; importing a repository-root ``build``
shadows the PyPA ``build`` package pip-tools depends on.
"""

from __future__ import annotations

import re
import subprocess

from tests.helpers.paths import ROOT

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
IMPORT_BUILD = re.compile(r"^\s*(import build\b|from build import)", re.MULTILINE)


def python_sources() -> dict[str, str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {
        name: (ROOT / name).read_text(encoding="utf-8") for name in listed.stdout.split() if (ROOT / name).is_file()
    }


def test_the_timestamp_format_has_one_definition() -> None:
    sources = python_sources()
    assert sources, "git ls-files found no Python file"
    this_file = "tests/infrastructure/test_single_definitions.py"
    holders = sorted(name for name, text in sources.items() if TIMESTAMP_FORMAT in text and name != this_file)
    assert holders == ["cartflow/timestamps.py"]


def test_nothing_imports_a_module_named_build() -> None:
    assert sorted(name for name, text in python_sources().items() if IMPORT_BUILD.search(text)) == []
