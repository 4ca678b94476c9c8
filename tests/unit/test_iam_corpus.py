"""The local evaluator against the IAM conformance corpus (../shared/iamcorpus/cases/, as CI has it).

The figures are printed (``make authz-corpus`` prints the same tables). Every disagreement must be
listed, by case id, in docs/aws-fidelity.md ("Authorization plane: boundaries and the conformance
corpus") with its class, the decision taken and its source, and nothing listed there may agree
now: the list is exactly what the plane decides differently from the corpus's authors.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import iam_corpus
from tests.helpers.paths import ROOT

FIDELITY = ROOT / "docs" / "aws-fidelity.md"
SECTION = "## Authorization plane: boundaries and the conformance corpus"
DISAGREEMENTS = "Disagreements (every one"


def test_the_corpus_is_there() -> None:
    # CI always has ../shared; a missing corpus is a broken checkout, never a reason to skip.
    assert iam_corpus.CASES.is_dir(), f"{iam_corpus.CASES} is missing"
    assert len(iam_corpus.load()) == 902


@pytest.fixture(scope="module")
def outcomes() -> list[iam_corpus.Outcome]:
    return iam_corpus.run()


def test_agreement_per_suite(outcomes: list[iam_corpus.Outcome], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + "\n".join(iam_corpus.tables(outcomes)))
    assert iam_corpus.agreement(outcomes) >= 0.97


def test_every_disagreement_is_documented_and_nothing_else(outcomes: list[iam_corpus.Outcome]) -> None:
    text = FIDELITY.read_text(encoding="utf-8")
    assert SECTION in text
    section = text.split(SECTION, 1)[1]
    assert DISAGREEMENTS in section
    # The table right after the sentence that introduces it.
    listing = section.split(DISAGREEMENTS, 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"`((?:core|operator|resource|action|condition|pmapper)/[^`]+#\d+)`", listing))
    disagreeing = {o.id for o in outcomes if o.out_of_scope is None and not o.agrees}
    assert disagreeing - listed == set(), "undocumented disagreements"
    assert listed - disagreeing == set(), "documented disagreements that now agree (or left scope)"


def test_a_refused_policy_agrees_only_with_a_denial() -> None:
    case = {"expected": "Allowed", "id": "x", "suite": "s"}
    assert not iam_corpus.Outcome(case, None, "Refused (x)").agrees
    assert iam_corpus.Outcome({**case, "expected": "ExplicitlyDenied"}, None, "Refused (x)").agrees
