"""Score a `mutmut run` per file, over the mutants a test could notice, and list the survivors.

mutmut's own summary counts every mutant, but some change nothing any caller can observe. Those
are listed with a reason each in tools/mutation_equivalents.toml and set aside here, so the score
says how many observable mistakes the tests catch. An entry names the file, the function and the
exact line before and after the change, not mutmut's running number, which shifts whenever the
function is edited; an entry that no longer matches a surviving mutant is reported as stale so
the list cannot silently hide a mutant the tests now kill, or one that no longer exists.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
# mutmut's exit codes of a mutant's run that mean it was noticed (see mutmut.stats): a test failed
# or hung, or mypy --strict rejected it (then no test ran: `make test` would have failed anyway).
TYPE_CHECKED = 37
DETECTED = {1, 3, 36, 24, -24, 152, 255, TYPE_CHECKED}
NOT_CHECKED = None


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    function: str
    exit_code: int | None

    @property
    def detected(self) -> bool:
        return self.exit_code in DETECTED


@dataclass(frozen=True)
class Change:
    """What a mutant changed: the function's lines before and after, without the diff's context."""

    original: str
    mutated: str


@dataclass(frozen=True)
class Equivalent:
    file: str
    function: str
    change: Change
    reason: str


def function_of(name: str) -> tuple[str, str]:
    """(source file, Class.function) of a mutant named like ``cartflow.models.xǁDetailǁto_json__mutmut_3``."""
    mangled = name.partition("__mutmut_")[0]
    module, _, function = mangled.rpartition(".")
    function = function.removeprefix("x_") if function.startswith("x_") else ".".join(function.split("ǁ")[1:])
    return module.replace(".", "/") + ".py", function


def read_mutants(mutants_dir: Path) -> list[Mutant]:
    """Every mutant mutmut generated under ``mutants_dir``, with the exit code of its test run."""
    found = []
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        for name, exit_code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            file, function = function_of(name)
            found.append(Mutant(name, file, function, exit_code))
    return found


def change_of(diff: str) -> Change:
    """The removed and added lines of a unified diff, each side's lines stripped and joined."""
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    return Change("\n".join(removed), "\n".join(added))


def load_equivalents(path: Path) -> list[Equivalent]:
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    return [
        Equivalent(entry["file"], entry["function"], Change(entry["original"], entry["mutated"]), entry["reason"])
        for entry in entries
    ]


@dataclass(frozen=True)
class Score:
    file: str
    mutants: int
    detected: int
    type_checked: int
    equivalent: int

    @property
    def observable(self) -> int:
        return self.mutants - self.equivalent

    @property
    def percent(self) -> float:
        return 100.0 * self.detected / self.observable if self.observable else 100.0

    def row(self) -> str:
        survived = self.observable - self.detected
        counts = f"{self.mutants} | {self.detected} | {self.type_checked} | {self.equivalent} | {survived}"
        return f"| {self.file} | {counts} | {self.percent:.1f}% |"


def score(file: str, mutants: Iterable[Mutant], equivalent: set[str]) -> Score:
    listed = list(mutants)
    return Score(
        file,
        len(listed),
        sum(1 for mutant in listed if mutant.detected),
        sum(1 for mutant in listed if mutant.exit_code == TYPE_CHECKED),
        sum(1 for mutant in listed if mutant.name in equivalent),
    )


def report(mutants: list[Mutant], changes: dict[str, Change], equivalents: list[Equivalent]) -> tuple[str, Score]:
    """The Markdown report and the total score; ``changes`` holds each survivor's change."""
    equivalent: dict[str, Equivalent] = {}
    for mutant in mutants:
        for entry in equivalents:
            if (mutant.file, mutant.function, changes.get(mutant.name)) == (entry.file, entry.function, entry.change):
                equivalent[mutant.name] = entry
    stale = [entry for entry in equivalents if entry not in equivalent.values()]
    files = sorted({mutant.file for mutant in mutants})
    scores = [score(file, (m for m in mutants if m.file == file), set(equivalent)) for file in files]
    total = score("**total**", mutants, set(equivalent))
    lines = [
        "| file | mutants | killed | of which by mypy | equivalent | survived | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(entry.row() for entry in [*scores, total]),
        "",
        "Score: killed / (mutants - equivalent). Killed: a test failed or timed out, or mypy --strict rejected it.",
        "",
        "## Survivors",
        "",
    ]
    for mutant in mutants:
        if mutant.detected or mutant.name in equivalent:
            continue
        change = changes[mutant.name]
        lines += [f"- `{mutant.name}` ({mutant.file} `{mutant.function}`)", "  ```diff"]
        lines += [f"  - {line}" for line in change.original.splitlines()]
        lines += [f"  + {line}" for line in change.mutated.splitlines()]
        lines += ["  ```"]
    if stale:
        lines += ["", "## Stale equivalents (no surviving mutant matches them: fix or remove)", ""]
        lines += [f"- {entry.file} `{entry.function}`: `{entry.change.mutated}`" for entry in stale]
    return "\n".join(lines) + "\n", total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--output", type=Path, help="also write the report here")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 below this score (percent)")
    args = parser.parse_args(argv)
    # mutmut reads its folder `mutants/` and its configuration relative to the working directory.
    os.chdir(ROOT)

    mutants = read_mutants(ROOT / "mutants")
    unchecked = [mutant.name for mutant in mutants if mutant.exit_code is NOT_CHECKED]
    if not mutants or unchecked:
        print(f"error: the mutation run is incomplete ({len(unchecked)} of {len(mutants)} unchecked)", file=sys.stderr)
        return 2
    changes = {
        mutant.name: change_of(get_diff_for_mutant(mutant.name, path=mutant.file))
        for mutant in mutants
        if not mutant.detected
    }
    text, total = report(mutants, changes, load_equivalents(args.equivalents))
    print(text, end="")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    if "## Stale equivalents" in text or total.percent < args.fail_under:
        print(
            f"mutation score {total.percent:.1f}% (required {args.fail_under:.0f}%), or stale equivalents",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
