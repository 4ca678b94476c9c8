"""The README is the newcomer's entry point: its commands and contract tables must be true."""

from __future__ import annotations

import re
import subprocess

from tests.helpers.paths import ROOT
from tools.readme_tables import README, render


def test_contract_tables_match_the_contract() -> None:
    text = README.read_text()
    assert render(text) == text, "README tables drifted from cartflow/contract: run `make docs`"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    # Before it, .ci/run may only install system packages the tests need (the browser test's).
    commands = [line.strip() for line in ci if line.strip() and not line.strip().startswith("#")]
    assert commands[-1] == "make test"
    assert [command for command in commands if "make" in command.split()] == ["make test"]


def test_every_make_target_the_readme_names_exists() -> None:
    named = set(re.findall(r"(?:^|`)make ([a-z-]+)", README.read_text(), re.MULTILINE))
    database = subprocess.run(["make", "-qp"], cwd=ROOT, capture_output=True, text=True, check=False).stdout
    targets = set(re.findall(r"^([a-zA-Z][\w-]*):", database, re.MULTILINE))
    assert named - targets == set()
