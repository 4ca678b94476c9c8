"""Fixtures of the reliability scenarios: one harnessed local stack per module, and the marker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability.harness import Harness


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: a failure scenario at a small size (full size: make reliability)")


@pytest.fixture(scope="module")
def harness(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Harness(built_dist, tmp_path_factory.mktemp("reliability"), name="cartflow-rel-test") as running:
        yield running
