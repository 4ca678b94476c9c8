"""tools/mutation_report.py: the score sets aside exactly the listed equivalents and flags stale ones."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.helpers.paths import ROOT
from tools.mutation_report import Change, Equivalent, Mutant, change_of, function_of, report

DIFF = """--- cartflow/models.py
+++ cartflow/models.py
@@ -1,3 +1,3 @@
 def prepare(*details):
-    for detail_type in (None, *(detail.DETAIL_TYPE for detail in details)):
+    for detail_type in (None,):
         _validator(detail_type)"""


def test_a_mutant_name_gives_its_file_and_function_or_method() -> None:
    assert function_of("functions.send_reminder.app.x_compose__mutmut_3") == (
        "functions/send_reminder/app.py",
        "compose",
    )
    assert function_of("cartflow.models.xǁDetailǁto_json__mutmut_12") == ("cartflow/models.py", "Detail.to_json")


def test_a_change_is_the_removed_and_added_lines_without_context() -> None:
    assert change_of(DIFF) == Change(
        "for detail_type in (None, *(detail.DETAIL_TYPE for detail in details)):", "for detail_type in (None,):"
    )


def test_equivalents_leave_the_score_survivors_are_listed_and_unmatched_entries_are_stale() -> None:
    mutants = [
        Mutant("cartflow.models.x_prepare__mutmut_1", "cartflow/models.py", "prepare", 0),
        Mutant("cartflow.models.x_prepare__mutmut_2", "cartflow/models.py", "prepare", 0),
        Mutant("cartflow.models.x_validate__mutmut_1", "cartflow/models.py", "validate", 1),
        Mutant("cartflow.models.x_validate__mutmut_2", "cartflow/models.py", "validate", 37),
    ]
    changes = {
        "cartflow.models.x_prepare__mutmut_1": change_of(DIFF),
        "cartflow.models.x_prepare__mutmut_2": Change("a", "b"),
    }
    listed = Equivalent("cartflow/models.py", "prepare", change_of(DIFF), "cold start only")
    gone = Equivalent("cartflow/models.py", "prepare", Change("x", "y"), "no longer generated")

    text, total = report(mutants, changes, [listed, gone])

    assert (total.mutants, total.detected, total.type_checked, total.equivalent) == (4, 2, 1, 1)
    assert "| cartflow/models.py | 4 | 2 | 1 | 1 | 1 | 66.7% |" in text
    assert "x_prepare__mutmut_2" in text
    assert "x_prepare__mutmut_1" not in text
    assert "## Stale equivalents" in text
    assert "`prepare`: `y`" in text


def test_the_mutation_copy_holds_every_package_its_tests_import() -> None:
    """mutmut runs the tests in a copy holding only the mutated code and `also_copy`: a package the
    tests reach (directly or through another module) but the copy lacks breaks `make mutation`,
    which `make test` would not notice."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    copied = {path.split("/")[0] for path in [*settings["source_paths"], *settings["also_copy"], "tests"]}
    selected = [argument for argument in settings["pytest_add_cli_args_test_selection"] if argument.endswith(".py")]
    pending = [ROOT / path for path in [*selected, "tests/conftest.py", "tests/cheap_first.py"]]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                pending.extend(file for alias in node.names for file in _files_of(alias.name))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                pending.extend(_files_of(node.module, *(alias.name for alias in node.names)))
    reached = {path.relative_to(ROOT).parts[0] for path in seen}
    assert reached - copied == set()


def _files_of(module: str, *names: str) -> list[Path]:
    """The repository files importing ``module`` (and ``from module import names``) executes: its
    packages' ``__init__.py``, the module, and any of ``names`` that is a submodule."""
    parts = module.split(".")
    found = [ROOT.joinpath(*parts[:depth], "__init__.py") for depth in range(1, len(parts) + 1)]
    found.append(ROOT.joinpath(*parts).with_suffix(".py"))
    found.extend(ROOT.joinpath(*parts, f"{name}.py") for name in names)
    return [path for path in found if path.is_file()]
