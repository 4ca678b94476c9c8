"""Provider-free Terraform modules, evaluated by Terraform itself, with a cache.

The policies the local stack authorizes with must be the documents Terraform attaches, never a
copy, so they are read from the modules' outputs: a root that calls terraform/modules/contract
(or terraform/modules/boundary, the permissions boundary the bootstrap attaches) with given inputs
is applied in a scratch directory (no provider, no AWS) and its outputs read. That costs seconds,
so the outputs are cached under ``.cache/contract/``, keyed by a hash of the module's files, the
contract's files and the inputs: a warm start never runs Terraform, and any edit of a policy, a
contract file or an input evaluates again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cartlocal.errors import LocalError

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "terraform" / "modules" / "contract"
BOUNDARY_MODULE = ROOT / "terraform" / "modules" / "boundary"
CONTRACT_DIR = ROOT / "cartflow" / "contract"
TERRAFORM = ROOT / "tools" / "terraform.py"
CACHE = ROOT / ".cache" / "contract"
TIMEOUT_SECONDS = 300


def _fingerprint(module: Path, inputs: Mapping[str, Any], outputs: Sequence[str]) -> str:
    digest = hashlib.sha256(json.dumps([str(module), dict(inputs), list(outputs)], sort_keys=True).encode())
    for folder in (module, CONTRACT_DIR):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".terraform" not in p.parts):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _terraform(*args: str, cwd: Path) -> str:
    result = subprocess.run(  # noqa: S603  # fixed program, arguments built here
        [sys.executable, str(TERRAFORM), f"-chdir={cwd}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT_SECONDS,
        env=os.environ | {"TF_IN_AUTOMATION": "1"},
    )
    if result.returncode != 0:
        raise LocalError(
            f"terraform {' '.join(args)} of a provider-free module failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def evaluate(inputs: Mapping[str, Any], outputs: Sequence[str], cache: Path | None = CACHE) -> dict[str, Any]:
    """The contract module's ``outputs`` for ``inputs`` (its variables), from the cache when it can."""
    return evaluate_module(MODULE, {"contract_dir": CONTRACT_DIR.as_posix(), **inputs}, outputs, cache)


def evaluate_module(
    module: Path, inputs: Mapping[str, Any], outputs: Sequence[str], cache: Path | None = CACHE
) -> dict[str, Any]:
    """A provider-free ``module``'s ``outputs`` for ``inputs``, from the cache when it can."""
    cached = cache / f"{_fingerprint(module, inputs, outputs)}.json" if cache is not None else None
    if cached is not None and cached.exists():
        values: dict[str, Any] = json.loads(cached.read_text(encoding="utf-8"))
        return values
    with tempfile.TemporaryDirectory(prefix="cartflow-contract-") as scratch:
        root = Path(scratch)
        # An absolute module source is copied into .terraform/, so the contract path is given too.
        arguments = "\n".join(f"  {key} = {json.dumps(value)}" for key, value in inputs.items())
        blocks = "\n".join(f'output "{name}" {{\n  value = module.evaluated.{name}\n}}' for name in outputs)
        # Terraform accepts JSON syntax for values, so json.dumps writes valid HCL literals.
        call = f'module "evaluated" {{\n  source = "{module.as_posix()}"\n{arguments}\n}}\n'
        (root / "main.tf").write_text(f"{call}\n{blocks}\n")
        _terraform("init", "-input=false", "-no-color", cwd=root)
        _terraform("apply", "-auto-approve", "-input=false", "-no-color", cwd=root)
        raw = json.loads(_terraform("output", "-json", "-no-color", cwd=root))
    values = {name: entry["value"] for name, entry in raw.items()}
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(values), encoding="utf-8")
        partial.replace(cached)  # atomic: a concurrent start never reads half a file
    return values
