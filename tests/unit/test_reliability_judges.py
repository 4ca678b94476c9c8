"""The reliability run's judges report a failure: a loss, a duplicate and a missed expectation.

The scenarios count lost and duplicated from what the stack did (emails per recipient,
CartReminderSent per reminder), Outcome decides whether a scenario held, and `make reliability`
exits 1 and writes "NO" in the published table when one did not. Each is fed a run that went
wrong here; tests/e2e/test_reliability.py feeds a scenario one through the real stack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reliability import __main__ as reliability_run
from reliability import scenarios
from reliability.harness import Outcome

RECIPIENTS = ["a@example.com", "b@example.com", "c@example.com"]


def test_a_recipient_without_an_email_is_counted_lost() -> None:
    emails = Counter({"a@example.com": 1, "c@example.com": 1, "someone-else@example.com": 1})
    assert scenarios._missing(emails, RECIPIENTS) == 1


def test_every_email_past_the_first_is_counted_duplicated() -> None:
    emails = Counter({"a@example.com": 3, "b@example.com": 1, "c@example.com": 2})
    assert scenarios._extra(emails, RECIPIENTS) == 3


def test_one_email_each_is_neither_lost_nor_duplicated() -> None:
    emails = Counter(dict.fromkeys(RECIPIENTS, 1))
    assert (scenarios._missing(emails, RECIPIENTS), scenarios._extra(emails, RECIPIENTS)) == (0, 0)


def outcome(lost: int = 0, duplicated: int = 0, *missed: str) -> Outcome:
    made = Outcome("9. judged", "a run fed to the judge", lost=lost, duplicated=duplicated)
    for description in missed:
        made.expect(False, description)
    made.expect(True, "an expectation that held")
    return made


@pytest.mark.parametrize(
    ("judged", "shown"),
    [
        (outcome(lost=1), "lost 1, duplicated 0"),
        (outcome(duplicated=2), "lost 0, duplicated 2"),
        (outcome(0, 0, "every reminder sent"), "✘ every reminder sent"),
    ],
    ids=["loss", "duplicate", "missed expectation"],
)
def test_a_loss_a_duplicate_or_a_missed_expectation_fails_the_scenario(judged: Outcome, shown: str) -> None:
    assert not judged.ok
    assert judged.summary().startswith("FAIL 9. judged")
    assert shown in judged.summary()


def test_a_clean_run_holds() -> None:
    assert outcome().ok
    assert outcome().summary().startswith("PASS")


@contextmanager
def no_stack(*_: Any, **__: Any) -> Iterator[None]:
    yield None


@pytest.mark.parametrize(
    "failing",
    [outcome(lost=1), outcome(duplicated=1), outcome(0, 0, "every reminder sent")],
    ids=["loss", "duplicate", "missed expectation"],
)
def test_make_reliability_exits_1_and_publishes_no_when_a_scenario_failed(
    failing: Outcome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reliability_run, "Harness", no_stack)
    monkeypatch.setattr(reliability_run, "full_run", lambda *_: [outcome, lambda: failing])
    document = tmp_path / "reliability.md"
    document.write_text(f"before\n{reliability_run.BEGIN}\n{reliability_run.END}\nafter\n", encoding="utf-8")

    assert reliability_run.main(["--write", str(document)]) == 1
    assert "1/2 scenarios held" in capsys.readouterr().out
    rows = [line for line in document.read_text(encoding="utf-8").splitlines() if line.startswith("| 9. judged")]
    assert [row.rstrip(" |").rsplit("| ", 1)[-1].split(":")[0] for row in rows] == ["yes", "NO"]


def test_make_reliability_exits_0_when_every_scenario_held(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(reliability_run, "Harness", no_stack)
    monkeypatch.setattr(reliability_run, "full_run", lambda *_: [outcome, outcome])
    assert reliability_run.main(["--workdir", str(tmp_path)]) == 0
