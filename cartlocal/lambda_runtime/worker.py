"""One function's execution environment: its unpacked zip run by awslambdaric in a process.

This is what Lambda does with a function: start the runtime interface client in the task root
with the function's environment, hand it one event at a time over the Runtime API, and kill
the environment when an invocation outlives the function's timeout (the next invocation then
pays a cold start again). Cold starts and durations are reported like Lambda's REPORT lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cartlocal.lambda_runtime.runtime_api import Invocation, RuntimeApi

# How often a waiting invoke checks that the worker process is still alive.
LIVENESS_SECONDS = 0.05
# Grace period between SIGTERM and SIGKILL when an environment is shut down.
TERMINATE_SECONDS = 2.0

Log = Callable[[str], None]


class WorkerStoppedError(RuntimeError):
    """The local runtime is shutting down; the event was not handled and stays where it came from."""


@dataclass(frozen=True)
class FunctionConfig:
    """Everything Lambda knows about a function before its first invocation."""

    name: str
    handler: str
    task_root: Path
    sdk_dir: Path
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    function_arn: str
    # Active tracing: the X-Ray daemon's host:port, where the SDK sends segments; None: not traced.
    xray_daemon_address: str | None = None


@dataclass(frozen=True)
class Result:
    """The outcome of one invocation, as Lambda's Invoke API reports it."""

    function: str
    request_id: str
    payload: Any
    error: dict[str, Any] | None
    duration_ms: float
    init_ms: float | None
    # The X-Ray trace header Lambda handed the function with this invocation.
    trace_header: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


class Worker:
    """Runs one function's invocations, one at a time, in a (re)started awslambdaric process."""

    def __init__(
        self, config: FunctionConfig, log: Log, function_log: Log, handed_out: list[bytes] | None = None
    ) -> None:
        self.config = config
        self._log, self._function_log = log, function_log
        self.api = RuntimeApi(handed_out)
        self.api.start()
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._spawned_at = 0.0
        self._lock = threading.Lock()
        self._closed = False
        self.results: list[Result] = []

    def _environment(self) -> dict[str, str]:
        """The function's own settings plus the variables Lambda defines for every function."""
        config = self.config
        tracing = {}
        if config.xray_daemon_address is not None:
            # What Lambda sets under Active tracing (docs/aws-fidelity.md); the runtime client sets
            # _X_AMZN_TRACE_ID per invocation from the Runtime API's Lambda-Runtime-Trace-Id.
            tracing = {"AWS_XRAY_DAEMON_ADDRESS": config.xray_daemon_address, "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"}
        return {
            **config.environment,
            **tracing,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": config.handler,
            "LAMBDA_TASK_ROOT": str(config.task_root),
            "LAMBDA_RUNTIME_DIR": str(config.sdk_dir),
            # The task root comes first, then the runtime's SDK, as in Lambda's python3.13 image.
            "PYTHONPATH": f"{config.task_root}{os.pathsep}{config.sdk_dir}",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }

    def _spawn(self) -> None:
        self.api.init_error = None
        self._spawned_at = time.monotonic()
        # -S keeps this venv's site-packages off the path: the function sees only its zip and
        # the runtime's SDK, so a dependency missing from the zip fails here as it would in AWS.
        self._process = subprocess.Popen(  # noqa: S603  # fixed argv, no shell
            [sys.executable, "-S", "-m", "awslambdaric", self.config.handler],
            cwd=self.config.task_root,
            env=self._environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._relay, args=(self._process,), daemon=True)
        self._reader.start()

    def _relay(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._function_log(line.decode("utf-8", "replace").rstrip())

    def _running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _kill(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=TERMINATE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=TERMINATE_SECONDS)
        if self._reader is not None:
            self._reader.join(timeout=TERMINATE_SECONDS)
        self._process = None

    def invoke(self, event: Any) -> Result:
        """Invoke synchronously and wait at most the function's timeout (plus its cold start)."""
        with self._lock:
            if self._closed:
                raise WorkerStoppedError(f"{self.config.name}: the local runtime is shutting down")
            cold = not self._running()
            if cold:
                self._kill()
                self._spawn()
            invocation = Invocation(
                request_id=str(uuid.uuid4()),
                event=json.dumps(event).encode("utf-8"),
                timeout_seconds=self.config.timeout_seconds,
                function_arn=self.config.function_arn,
            )
            error = self._run(invocation)
            if self._closed:  # killed by stop(): not the function's failure, so no result to act on
                raise WorkerStoppedError(f"{self.config.name}: stopped during invocation {invocation.request_id}")
            init_ms = None
            if cold:
                init_ms = ((invocation.started or time.monotonic()) - self._spawned_at) * 1000
            # An invocation that never reached the handler (init failed) took no time of its own.
            duration_ms = (time.monotonic() - invocation.started) * 1000 if invocation.started else 0.0
            result = self._result(invocation, error, duration_ms, init_ms)
            self._report(result)
            self.results.append(result)
            return result

    def _run(self, invocation: Invocation) -> dict[str, Any] | None:
        """Hand ``invocation`` to the worker; return the error that ended it abnormally, if any."""
        timeout = self.config.timeout_seconds
        self.api.submit(invocation)
        init_deadline = time.monotonic() + timeout
        while not invocation.answered.wait(LIVENESS_SECONDS):
            now = time.monotonic()
            if invocation.started is None:
                # Lambda's init phase has its own 10 s limit; waiting the function timeout bounds it too.
                if self.api.init_error is not None or not self._running():
                    self.api.withdraw(invocation)
                    return self.api.init_error or self._exit_error(invocation)
                if now > init_deadline:
                    self.api.withdraw(invocation)
                    self._kill()
                    return {"errorType": "Runtime.InitTimeout", "errorMessage": f"Init timed out after {timeout} s"}
                continue
            if not self._running() and not invocation.answered.is_set():
                self.api.withdraw(invocation)
                return self._exit_error(invocation)
            if now - invocation.started > timeout:
                self.api.withdraw(invocation)
                self._kill()
                return {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout:.2f} seconds"}
        return None

    def _exit_error(self, invocation: Invocation) -> dict[str, Any]:
        code = self._process.poll() if self._process is not None else None
        self._kill()
        return {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {invocation.request_id} Error: Runtime exited with error: exit status {code}",
        }

    def _result(
        self, invocation: Invocation, error: dict[str, Any] | None, duration_ms: float, init_ms: float | None
    ) -> Result:
        payload: Any = None
        if error is None and invocation.payload:
            try:
                payload = json.loads(invocation.payload)
            except ValueError:
                payload = invocation.payload.decode("utf-8", "replace")
        if error is None and invocation.error_type is not None:
            error = payload if isinstance(payload, dict) else {"errorType": invocation.error_type}
            payload = None
        return Result(
            self.config.name, invocation.request_id, payload, error, duration_ms, init_ms, invocation.trace_header
        )

    def _report(self, result: Result) -> None:
        init = f" Init Duration: {result.init_ms:.0f} ms (cold start)" if result.init_ms is not None else ""
        status = "" if result.ok else f" Error: {result.error.get('errorType') if result.error else ''}"
        used = self._max_memory_mb()
        memory = f" Max Memory Used: {used} MB" if used is not None else ""
        self._log(
            f"REPORT {self.config.name} RequestId: {result.request_id} Duration: {result.duration_ms:.0f} ms"
            f"{init} Memory Size: {self.config.memory_mb} MB{memory}{status}"
        )

    def _max_memory_mb(self) -> int | None:
        """Peak resident memory of the environment (Linux's VmHWM), like Lambda's Max Memory Used."""
        if self._process is None:
            return None
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return None

    def stop(self, *, wait: bool = True) -> None:
        """Kill the environment, even mid-invocation (that invocation then fails, never hangs).

        Without ``wait`` the Runtime API stops in the background: its stop waits for the server
        loop's next poll, which a redeploy's new code need not wait for.
        """
        self._closed = True
        self._kill()
        if wait:
            self.api.stop()
        else:
            threading.Thread(target=self.api.stop, name="runtime-api-stop", daemon=True).start()
