"""pytest plugin for `make mutation`: run the tests most likely to fail fast first.

mutmut stops a mutant's run at its first failing test, so a mutant of a domain rule that a plain
unit test kills should never wait for the moto-backed handler tests (a second or more each) that
happen to be collected before it; among those, the focused ones of tests/unit (one rule, exact
expected values) go before the longer scenarios. Loaded only by the mutation run (pyproject.toml
[tool.mutmut]).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: ("stack" in getattr(item, "fixturenames", ()), "tests/unit/" not in item.nodeid))
