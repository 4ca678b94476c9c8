"""tools/mutation_report.py: the score sets aside exactly the listed equivalents and flags stale ones."""

from __future__ import annotations

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
