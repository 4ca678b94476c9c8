"""Fixtures of the end-to-end tests: the reliability scenarios' harnessed local stack, one per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability.harness import Harness


@pytest.fixture(scope="module")
def harness(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Harness(built_dist, tmp_path_factory.mktemp("reliability"), name="cartflow-rel-test") as running:
        yield running
