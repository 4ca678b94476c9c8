"""A one-file function for the local runtime's own tests: its source, its settings, no zip."""

from __future__ import annotations

from pathlib import Path

from cartlocal.lambda_runtime.artifacts import runtime_sdk
from cartlocal.lambda_runtime.worker import FunctionConfig


def scratch_config(
    tmp_path: Path, name: str, source: str, *, timeout_seconds: int, environment: dict[str, str] | None = None
) -> FunctionConfig:
    """``source`` as ``app.py`` in a task root under ``tmp_path``, handled by ``app.handler``."""
    root = tmp_path / "task"
    root.mkdir()
    (root / "app.py").write_text(source, encoding="utf-8")
    return FunctionConfig(
        name=name,
        handler="app.handler",
        task_root=root,
        sdk_dir=runtime_sdk(tmp_path / "sdk"),
        timeout_seconds=timeout_seconds,
        memory_mb=128,
        environment=environment or {},
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
    )
