"""One function's execution environments: one per concurrent invocation, started on demand.

Lambda runs each concurrent invocation of a function in an environment of its own and hands an
invocation to an idle environment before it starts another, so a function invoked one at a time
keeps one warm environment and a burst starts as many as run at once. How many may run at once
is the caller's to bound (an event source mapping's maximum concurrency); the pool never lets two
invocations share an environment, as a Worker runs one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cartlocal.lambda_runtime.worker import FunctionConfig, Log, Result, Worker, WorkerStoppedError


class WorkerPool:
    """A function's Workers, used like one: invoke, results, handed_out, redeploy, stop."""

    def __init__(self, config: FunctionConfig, log: Log, function_log: Log) -> None:
        self.config = config
        self._log, self._function_log = log, function_log
        # Across every environment, in the order the invocations ended / the events were handed out.
        self.results: list[Result] = []
        self.handed_out: list[bytes] = []
        self._environments: list[Worker] = []
        self._idle: list[Worker] = []
        self._changed = threading.Condition()
        self._redeploying = False
        self._closed = False

    @property
    def environments(self) -> tuple[Worker, ...]:
        return tuple(self._environments)

    def invoke(self, event: Any) -> Result:
        """Invoke synchronously in an idle environment, or a new one if every one is busy."""
        worker = self._acquire()
        try:
            result = worker.invoke(event)
        finally:
            with self._changed:
                self._idle.append(worker)
                self._changed.notify_all()
        self.results.append(result)
        return result

    def _acquire(self) -> Worker:
        with self._changed:
            self._changed.wait_for(lambda: not self._redeploying)
            if self._closed:
                raise WorkerStoppedError(f"{self.config.name}: the local runtime is shutting down")
            if self._idle:
                # The most recently used: the warmest, and a slow stream of invocations keeps just one.
                return self._idle.pop()
            worker = Worker(self.config, self._log, self._function_log, self.handed_out)
            self._environments.append(worker)
            return worker

    def redeploy(self, unpack: Callable[[], Path]) -> None:
        """Run new code from now on: like an update of the function's code, each next invocation starts cold.

        Waits for running invocations to finish; ``unpack`` runs once the old environments are
        gone, since it may replace the very tree they ran from.
        """
        with self._changed:
            self._redeploying = True
            try:
                self._changed.wait_for(lambda: len(self._idle) == len(self._environments))
                for worker in self._environments:
                    worker.stop(wait=False)
                self._environments.clear()
                self._idle.clear()
                self.config = replace(self.config, task_root=unpack())
            finally:
                self._redeploying = False
                self._changed.notify_all()

    def stop(self) -> None:
        """Kill every environment, even mid-invocation (those invocations then fail, never hang)."""
        with self._changed:
            self._closed = True
            environments = list(self._environments)
        for worker in environments:
            worker.stop()
