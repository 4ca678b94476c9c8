"""``build.py --verify``: import each handler from its unzipped package alone, in a fresh interpreter.

A zip that imports here imports in Lambda: nothing but the package (and, for ``sdk: runtime``,
a stand-in for the runtime's SDK) is on the path, and anything imported from elsewhere fails it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from cartbuild.errors import BuildError
from cartbuild.files import last_line
from cartbuild.functions import RUNTIME_SDK_MODULES, Function
from cartbuild.manifest import Entry
from cartflow import contract


def verify(out: Path, entries: dict[str, Entry], functions: Sequence[Function]) -> None:
    """Import each handler from its unzipped package alone in a fresh isolated interpreter."""
    for function in functions:
        entry = entries[function.name]
        with tempfile.TemporaryDirectory(prefix=f"verify-{function.name}-") as scratch:
            package = Path(scratch) / "task"
            with zipfile.ZipFile(out / entry.zip) as archive:
                archive.extractall(package)
            paths = [str(package)]
            if function.sdk == "runtime":
                paths.append(str(runtime_sdk_standin(Path(scratch) / "runtime")))
            result = subprocess.run(  # noqa: S603
                [sys.executable, "-I", "-S", "-c", VERIFY_SCRIPT, json.dumps(paths), function.handler],
                env=verify_environment(function),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BuildError(f"{entry.zip}: handler {function.handler} does not import: {last_line(result.stderr)}")
            print(f"verified {function.name}: {result.stdout.strip()}", flush=True)


# Run by the isolated interpreter: import the handler, then check nothing came from elsewhere.
VERIFY_SCRIPT = """
import importlib, json, sys, sysconfig
paths = json.loads(sys.argv[1])
sys.path[:0] = paths
module_name, attribute = sys.argv[2].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), attribute)
assert callable(handler), "handler is not callable"
allowed = tuple(paths) + (sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"))
strays = sorted(name for name, module in list(sys.modules.items())
                if getattr(module, "__file__", None) and not module.__file__.startswith(allowed))
assert not strays, f"imported from outside the package: {strays}"
cached = sum(1 for module in list(sys.modules.values())
             if (getattr(module, "__cached__", None) or "").startswith(paths[0]))
print(f"{len(sys.modules)} modules, {cached} from the zip's .pyc")
"""


def runtime_sdk_standin(directory: Path) -> Path:
    """Links to this interpreter's boto3 stack only, standing in for the Lambda runtime's SDK."""
    directory.mkdir()
    for module in RUNTIME_SDK_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise BuildError(f"--verify needs {module} installed to stand in for the runtime's SDK")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (directory / source.name).symlink_to(source)
    return directory


def verify_environment(function: Function) -> dict[str, str]:
    """The function's declared settings with dummy values, and a region; nothing from the host."""
    defaults = contract.stack()["settings"]
    env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "PYTHONHASHSEED": "0"}
    for name in function.environment:
        env[name] = defaults[name]["default"] or f"verify-{name.lower()}"
    return env
