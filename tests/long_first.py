"""How `make pytest` hands test modules to its workers: the long ones first, and never two together.

pytest-xdist's ``loadscope`` gives each worker whole modules, so a module's shared stack is
provisioned once. A worker runs a test only once it holds the next one (pytest needs the next
item to know which fixtures to tear down), so a worker given a one-test module is at once given
the next module in the queue as well. When both are long (the consumer scaffold, then the
reliability scenarios) they run one after the other on one worker while the others run out of
work, and that worker's tail is the run's wall time. Here the long modules go out first, the
longest first, and a worker that still holds a long module is handed a short one instead.
A scope is always the whole module: xdist cuts a test id at its last ``::``, so a parameter id
holding one (an ARN) made a scope of its own and its module's fixtures ran on two workers.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# The modules that take much longer than the rest (local stacks, clones, Terraform, browsers),
# roughly longest first: the order they are handed out in.
LONG_MODULES = (
    "tests/e2e/test_consumer_scaffold.py",
    "tests/e2e/test_reliability.py",
    "tests/e2e/test_local_e2e.py",
    "tests/infrastructure/test_terraform_offline.py",
    "tests/e2e/test_journey_judge.py",
    "tests/shipping/test_pipeline_rehearsal.py",
    "tests/local/test_authz_gate.py",
    "tests/infrastructure/test_terraform_static.py",
    "tests/e2e/",
)


def rank(nodeid: str) -> int:
    """A module's place in LONG_MODULES, or len(LONG_MODULES) for a short one."""
    return next((place for place, prefix in enumerate(LONG_MODULES) if nodeid.startswith(prefix)), len(LONG_MODULES))


def is_long(nodeid: str) -> bool:
    return rank(nodeid) < len(LONG_MODULES)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long modules first, longest first; the rest keep their (random) order."""
    items.sort(key=lambda item: rank(item.nodeid))


class LongModulesApart(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type information
    """``loadscope`` by module, except that a worker still holding a long module is handed a short one next."""

    def _split_scope(self, nodeid: str) -> str:
        return nodeid.split("::", 1)[0]

    def _assign_work_unit(self, node: Any) -> None:
        holding_long = any(
            is_long(scope) and not all(done.values()) for scope, done in self.assigned_work.get(node, {}).items()
        )
        if holding_long:
            short = next((scope for scope in self.workqueue if not is_long(scope)), None)
            if short is not None:
                self.workqueue.move_to_end(short, last=False)
        super()._assign_work_unit(node)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    """This scheduler for ``--dist loadscope``; xdist's own for any other mode."""
    if config.getvalue("dist") != "loadscope":
        return None
    return LongModulesApart(config, log)
