"""The test run's scheduler: long modules first, and a worker holding one is handed a short one next."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests import long_first

SCAFFOLD, RELIABILITY = "tests/e2e/test_consumer_scaffold.py", "tests/e2e/test_reliability.py"
LOCAL_E2E = "tests/e2e/test_local_e2e.py"
SHORT = [f"tests/unit/test_short_{n}.py" for n in range(4)]


class Worker:
    """What the scheduler sees of an xdist worker: it is sent test indexes, and may be shut down."""

    def __init__(self, number: int) -> None:
        self.gateway = SimpleNamespace(id=f"gw{number}")
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def scheduled(collection: list[str], workers: int) -> list[list[str]]:
    """The modules each worker is first handed when ``collection`` is scheduled on ``workers``."""
    options = {"tx": [f"{workers}*popen"], "dist": "loadscope"}
    config: Any = SimpleNamespace(getvalue=options.get, option=SimpleNamespace(loadscopereorder=False))
    scheduler = long_first.LongModulesApart(config)
    nodes = [Worker(number) for number in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    return [list(dict.fromkeys(collection[index].split("::")[0] for index in node.sent)) for node in nodes]


def test_a_worker_holding_a_long_module_is_handed_a_short_one_next() -> None:
    # xdist's own loadscope would hand the scaffold's worker the third long module at once: a
    # worker runs a test only once it holds the next one.
    collection = [f"{SCAFFOLD}::test_it", f"{RELIABILITY}::test_a", f"{RELIABILITY}::test_b"]
    collection += [f"{LOCAL_E2E}::test_a", f"{LOCAL_E2E}::test_b", *(f"{module}::test_it" for module in SHORT)]

    first, second = scheduled(collection, 2)

    assert first == [SCAFFOLD, SHORT[0]]
    assert second == [RELIABILITY, SHORT[1]]


def test_a_parameter_id_holding_a_double_colon_stays_with_its_module() -> None:
    arn = "arn:aws:iam::123456789012:role/r"
    collection = [f"{SHORT[0]}::test_a", f"{SHORT[0]}::test_b[{arn}]", *(f"{module}::test_it" for module in SHORT[1:])]

    first, second = scheduled(collection, 2)

    assert SHORT[0] in first
    assert SHORT[0] not in second


def test_the_long_modules_go_first_longest_first() -> None:
    ids = [f"{SHORT[0]}::t", f"{RELIABILITY}::t", "tests/e2e/test_other.py::t", f"{SCAFFOLD}::t"]
    items: Any = [SimpleNamespace(nodeid=nodeid) for nodeid in ids]

    long_first.pytest_collection_modifyitems(items)

    assert [item.nodeid for item in items] == [ids[3], ids[1], ids[2], ids[0]]
