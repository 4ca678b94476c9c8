"""Every repository path and test the docs name exists.

README.md, docs/ and each README.md of the tree point readers at files (`cartflow/contract/`,
`../docs/shipping.md`) and at the tests that enforce a rule (`tests/x/test_y.py::test_z`,
`::test_w` after a file on the same line, or `test_y.py::test_z` by file name). A restructure
that moves a file leaves such a pointer dangling: this finds it.

What counts as a repository path: a word with a `/` whose first part is an entry of the
repository's top folder (or, for a README below it, of that README's folder, or `../`-relative),
or a test file by its name (`test_y.py`). Placeholders (`<env>`, `{a,b}`, `$VAR`, `…`), URLs and paths git ignores
(written by a run: `releases/<env>.json`, `dist/`, state files) are not repository paths.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

URL = re.compile(r"\b(?:https?|file)://\S+")
WORD = re.compile(r"(?<![\w/.@:~-])((?:\.\.?/)*[\w.*-]+(?:/[\w.*-]+)*/?)(::[\w:\[\]-]+)?|(?<![\w:])::([\w\[\]-]+)")
PLACEHOLDER = re.compile(r"[<>{}$…]")


@dataclass(frozen=True)
class Reference:
    doc: str
    line: int
    path: str  # relative to the repository root, or a bare file name (by_name)
    test: str | None  # the test's name, when a test is named
    by_name: bool = False


def repository_files(root: Path) -> set[str]:
    """Files git tracks or would track (untracked, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split("\n")
    return {path for path in listed if path and (root / path).exists()}


def folders(files: set[str]) -> set[str]:
    return {str(parent) for path in files for parent in Path(path).parents if str(parent) != "."}


def documents(files: set[str]) -> list[str]:
    return sorted(
        path
        for path in files
        if path.endswith(".md")
        and (path == "README.md" or path.startswith("docs/") or path.endswith("/README.md"))
        and not path.startswith("tests/fixtures/")
    )


def ignored(root: Path, paths: set[str]) -> set[str]:
    """The paths git ignores (a run writes them), whether or not they exist."""
    if not paths:
        return set()
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=root,
        input="\n".join(sorted(paths)),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return set(result.stdout.split())


def references(doc: str, text: str, files: set[str]) -> list[Reference]:
    """The repository paths and tests ``doc`` names, each resolved against the repository root."""
    entries = files | folders(files)
    top = {entry.split("/")[0] for entry in entries}
    here = str(Path(doc).parent)
    local = {entry[len(here) + 1 :].split("/")[0] for entry in entries if here != "." and entry.startswith(f"{here}/")}
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        last: Reference | None = None
        plain = URL.sub(" ", line)
        for match in WORD.finditer(plain):
            word, test, continued = match.group(1), match.group(2), match.group(3)
            if continued:
                if last is not None:
                    found.append(Reference(doc, number, last.path, continued, last.by_name))
                continue
            word = word.rstrip(".")
            # Part of a word with a placeholder (`tests/test_<name>.py`): not a path as written.
            around = plain[max(match.start() - 1, 0) : match.start()] + plain[match.end() : match.end() + 1]
            if PLACEHOLDER.search(word + around):
                continue
            first = word.split("/")[0]
            if word.startswith(("./", "../")):
                path = os.path.normpath(os.path.join(here, word))
            elif "/" in word and first in top:
                path = os.path.normpath(word)
            elif "/" in word and first in local:
                path = os.path.normpath(os.path.join(here, word))
            elif "/" not in word and word.endswith(".py") and (word.startswith("test_") or test):
                path = word  # a test file by its name: any file of that name
            else:
                continue
            name = test.removeprefix("::").split("::")[-1].split("[")[0] if test else None
            last = Reference(doc, number, path, name, by_name="/" not in word)
            found.append(last)
    return found


def _candidates(ref: Reference, files: set[str]) -> list[str]:
    path = ref.path
    if ref.by_name:
        return sorted(f for f in files if f.rsplit("/", 1)[-1] == path)
    if "*" in path:
        return sorted(f for f in files if fnmatch.fnmatch(f, path) or fnmatch.fnmatch(f, f"{path}/*"))
    if path in files:
        return [path]
    return [path] if any(f.startswith(f"{path}/") for f in files) else []


def defines(root: Path, path: str, name: str) -> bool:
    if not path.endswith(".py"):
        return False
    source = (root / path).read_text()
    return re.search(rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b", source, re.MULTILINE) is not None


def dangling(root: Path) -> list[str]:
    """``doc:line: what`` for every path or test a document names that does not exist."""
    files = repository_files(root)
    named = [ref for doc in documents(files) for ref in references(doc, (root / doc).read_text(), files)]
    written_by_runs = ignored(root, {ref.path for ref in named if not ref.by_name})
    problems = []
    for ref in named:
        if ref.path in written_by_runs:
            continue
        candidates = _candidates(ref, files)
        if not candidates:
            problems.append(f"{ref.doc}:{ref.line}: {ref.path} does not exist")
        elif ref.test and not any(defines(root, path, ref.test) for path in candidates):
            problems.append(f"{ref.doc}:{ref.line}: {ref.path} has no test {ref.test}")
    return problems


def test_every_path_and_test_the_docs_name_exists() -> None:
    problems = dangling(ROOT)
    assert problems == [], "\n".join(problems)


def test_the_docs_name_paths_and_tests_for_the_check_to_check() -> None:
    files = repository_files(ROOT)
    named = [ref for doc in documents(files) for ref in references(doc, (ROOT / doc).read_text(), files)]
    assert "docs/aws-fidelity.md" in {ref.doc for ref in named}
    assert sum(1 for ref in named if ref.test) > 50, "the rule -> test links were not recognised"
    assert sum(1 for ref in named if not ref.by_name) > 100


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A small repository whose docs name existing and missing paths and tests."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "terraform" / "modules" / "m").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_a.py").write_text("def test_one() -> None:\n    pass\n")
    (tmp_path / "terraform" / "modules" / "m" / "main.tf").write_text("")
    (tmp_path / ".gitignore").write_text("dist/\n")
    (tmp_path / "README.md").write_text(
        "See `tests/unit/test_a.py::test_one`, `::test_two`, [docs](docs/guide.md) and `dist/x.zip`.\n"
    )
    (tmp_path / "docs" / "guide.md").write_text(
        "| rule | `test_a.py::test_one`, `tests/unit/test_gone.py` | `tests/unit/test_a.py::test_three[x]` |\n"
        "Per environment `releases/<env>.json`; see https://example.com/tests/unit/nothing.py and ../README.md.\n"
    )
    (tmp_path / "terraform" / "modules" / "m" / "README.md").write_text("`main.tf`, `../m/main.tf`, `../n/main.tf`\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, timeout=60)
    return tmp_path


def test_a_missing_path_or_test_is_reported_with_its_line(planted: Path) -> None:
    assert dangling(planted) == [
        "README.md:1: tests/unit/test_a.py has no test test_two",
        "docs/guide.md:1: tests/unit/test_gone.py does not exist",
        "docs/guide.md:1: tests/unit/test_a.py has no test test_three",
        "terraform/modules/m/README.md:1: terraform/modules/n/main.tf does not exist",
    ]
