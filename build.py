"""Build one reproducible Lambda zip per function (``make package``).

Each ``functions/<name>`` becomes ``dist/<name>.zip``: the function's own files and the shared
``cartflow`` package (with its contract files, read at run time) at the zip root, plus the
function's hash-pinned dependencies installed for the Lambda platform, not for the host. The zip
is what Terraform deploys and the pipeline promotes, so the same inputs must give the same bytes
on any machine, checkout path, umask or clock; ``dist/manifest.json`` records its hashes.

Per-function settings (runtime, architecture, handler, sdk) come from ``cartflow.contract``.
See docs/build.md for the design and the measured choices.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

    from packaging.tags import Tag

# subprocess, zipfile, shutil, tempfile, concurrent.futures and packaging are imported where a
# build uses them: a run with nothing to build (most `make package` runs) then starts in about
# half the time (docs/benchmarks.md, row 3).

from cartflow import contract


def canonical_name(name: str) -> str:
    """PEP 503's normalised project name (packaging's canonicalize_name, without its import cost)."""
    return re.sub(r"[-_.]+", "-", name).lower()


ROOT = Path(__file__).resolve().parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_PACKAGE = ROOT / "cartflow"
LOCK_FILE = "requirements.txt"
# Bumped whenever the zip layout changes in a way the inputs hash cannot see.
FORMAT_VERSION = 1
PYTHON_VERSION = (3, 13)
# Where Lambda unpacks the zip; byte-code records this path, never the checkout path.
TASK_ROOT = "/var/task"
# Zip cannot store times before 1980; used when SOURCE_DATE_EPOCH is not set.
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
# What the python3.13 runtime already provides (and keeps patched): left out when sdk is "runtime".
RUNTIME_SDK = frozenset(
    canonical_name(name)
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
)
# Their import names, for --verify to stand in for the runtime's copy.
RUNTIME_SDK_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
SDK_CHOICES = ("runtime", "vendored")
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
DEFAULT_INDEX_URL = "https://pypi.org/simple"
# Not needed at run time: pip bookkeeping (RECORD also lists files we drop or add, and
# direct_url.json can hold host paths), console scripts with host shebangs, type stubs.
DROPPED_METADATA = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
DROPPED_DIRS = frozenset({"__pycache__", "tests", "test"})
DROPPED_SUFFIXES = (".pyc", ".pyo", ".pyi")
# Host settings that only decide how pip reaches the index, never which bytes it accepts.
PIP_PASSTHROUGH_ENV = ("PATH", "HOME", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY")
REQUIREMENT_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)(?P<rest>.*)$")
HASH_OPTION = re.compile(r"--hash[= ]sha256:(?P<hex>[0-9a-f]{64})")


class BuildError(Exception):
    """A problem with the inputs or the build; its message is the one-line error shown to the user."""


@dataclass(frozen=True)
class Requirement:
    """One pinned line of a lock file."""

    name: str
    version: str
    hashes: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    """One function to build, with its settings resolved from the contract and the CLI."""

    name: str
    source_dir: Path
    handler: str
    runtime: str
    architecture: str
    sdk: str
    environment: tuple[str, ...]
    requirements: tuple[Requirement, ...]

    @property
    def platform(self) -> str:
        return PLATFORMS[self.architecture]

    def settings(self) -> dict[str, Any]:
        """What, besides file contents, decides the zip's bytes."""
        return {
            "format": FORMAT_VERSION,
            "python": ".".join(map(str, PYTHON_VERSION)),
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "handler": self.handler,
            "runtime": self.runtime,
            "architecture": self.architecture,
            "sdk": self.sdk,
            "epoch": zip_epoch(),
        }


@dataclass(frozen=True)
class Outcome:
    """What happened to one function, for the progress line, the table and the manifest."""

    function: Function
    status: str
    entry: dict[str, Any]
    seconds: float


# ---------------------------------------------------------------- inputs


def zip_epoch() -> int:
    """The timestamp of every zip entry: SOURCE_DATE_EPOCH if set, never the build time."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return DEFAULT_EPOCH
    if not raw.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970, got {raw!r}")
    return max(int(raw), DEFAULT_EPOCH)


def read_lock(path: Path) -> tuple[Requirement, ...]:
    """Parse a pip-compile lock; every requirement must be ``name==version`` with ``--hash``es.

    Option lines (pip-compile copies the host's index settings into them) are ignored on
    purpose: where wheels come from is decided here, and the hashes decide what is accepted.
    """
    if not path.is_file():
        raise BuildError(f"{display(path)}: lock file missing (run `make lock`)")
    logical: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append((start, pending.strip()))
        pending = ""
    requirements: list[Requirement] = []
    for number, line in logical:
        if line.startswith("-"):
            continue
        match = REQUIREMENT_LINE.match(line)
        hashes = tuple(sorted(HASH_OPTION.findall(line)))
        if match is None or not hashes or ";" in line:
            raise BuildError(f"{display(path)}:{number}: not pinned with == and --hash: {line.split()[0]}")
        requirements.append(Requirement(canonical_name(match["name"]), match["version"], hashes))
    return tuple(sorted(requirements, key=lambda requirement: requirement.name))


def discover() -> list[str]:
    """Every function folder under functions/."""
    return sorted(path.name for path in FUNCTIONS_DIR.iterdir() if path.is_dir() and path.name[0] not in "._")


def resolve(name: str, arch: str | None, sdk_override: str | None = None) -> Function:
    """The function's contract settings, checked lock file and handler module."""
    source_dir = FUNCTIONS_DIR / name
    if not source_dir.is_dir():
        raise BuildError(f"{display(source_dir)}: unknown function {name!r} (no such folder)")
    try:
        spec = contract.function_spec(name)
    except KeyError as error:
        raise BuildError(f"{display(contract.CONTRACT_DIR / 'stack.json')}: {error.args[0]}") from None
    handler: str = spec["handler"]
    module_file = source_dir / (handler.rsplit(".", 1)[0].replace(".", "/") + ".py")
    if not module_file.is_file():
        raise BuildError(f"{display(module_file)}: handler module of {name} ({handler}) missing")
    requirements = read_lock(source_dir / LOCK_FILE)
    sdk: str = sdk_override or spec["sdk"]
    if sdk not in SDK_CHOICES:
        raise BuildError(f"{display(contract.CONTRACT_DIR / 'stack.json')}: {name}: sdk must be runtime or vendored")
    if sdk == "runtime":
        requirements = tuple(req for req in requirements if req.name not in RUNTIME_SDK)
    architecture = arch or spec["architecture"]
    if architecture not in PLATFORMS:
        raise BuildError(
            f"{display(contract.CONTRACT_DIR / 'stack.json')}: {name}: unknown architecture {architecture}"
        )
    return Function(
        name=name,
        source_dir=source_dir,
        handler=handler,
        runtime=spec["runtime"],
        architecture=architecture,
        sdk=sdk,
        environment=tuple(spec["environment"]),
        requirements=requirements,
    )


def display(path: Path) -> str:
    """A path as the user typed it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def source_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, file) of a source tree, sorted, without caches and byte-code."""
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if path.is_file() and not set(relative.parts) & {"__pycache__"} and path.suffix not in DROPPED_SUFFIXES:
            yield relative.as_posix(), path


def function_sources(function: Function) -> Iterator[tuple[str, Path]]:
    """Files of the function folder that go to the zip root (its lock files only decide deps)."""
    for relative, path in source_files(function.source_dir):
        if relative not in ("requirements.in", LOCK_FILE):
            yield relative, path


def inputs_hash(function: Function) -> str:
    """Hash of everything the zip is made from; equal hashes mean the zip can be reused."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("build.py", Path(__file__).read_bytes())
    add("settings", json.dumps(function.settings(), sort_keys=True).encode())
    add("lock", json.dumps([[r.name, r.version, r.hashes] for r in function.requirements]).encode())
    for relative, path in function_sources(function):
        add(f"function/{relative}", path.read_bytes())
    for relative, path in source_files(SHARED_PACKAGE):
        add(f"cartflow/{relative}", path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- wheelhouse


def target_tags(platform: str) -> list[Tag]:
    """Tags the Lambda python3.13 runtime accepts, best first (as pip orders them for --platform)."""
    from packaging.tags import compatible_tags, cpython_tags  # noqa: PLC0415 - build-only: see the note on the imports

    arch = platform.split("_", 1)[1]
    glibc = [f"manylinux_2_{minor}_{arch}" for minor in range(17, 4, -1)]
    legacy = [platform] + ([f"manylinux2010_{arch}", f"manylinux1_{arch}"] if arch == "x86_64" else [])
    platforms = glibc + legacy
    abi = f"cp{PYTHON_VERSION[0]}{PYTHON_VERSION[1]}"
    return [
        *cpython_tags(PYTHON_VERSION, abis=[abi], platforms=platforms),
        *compatible_tags(PYTHON_VERSION, interpreter=abi, platforms=platforms),
    ]


def wheel_rank(filename: str, tags: Sequence[Tag]) -> int | None:
    """Position of the wheel's best tag in ``tags``; None when the platform cannot use it."""
    from packaging.utils import parse_wheel_filename  # noqa: PLC0415 - build-only: see the note on the imports

    wheel_tags = parse_wheel_filename(filename)[3]
    ranks = [tags.index(tag) for tag in wheel_tags if tag in tags]
    return min(ranks) if ranks else None


class Wheelhouse:
    """Wheels stored as ``<dir>/<sha256>/<filename>``, filled from the index only when missing."""

    def __init__(self, directory: Path, index_url: str) -> None:
        self.directory = directory
        self.index_url = index_url

    def pick(self, requirement: Requirement, platform: str) -> Path | None:
        """The best stored wheel of ``requirement`` for ``platform``; ties broken by hash."""
        tags = target_tags(platform)
        candidates: list[tuple[int, str, Path]] = []
        for digest in requirement.hashes:
            for wheel in (self.directory / digest).glob("*.whl"):
                rank = wheel_rank(wheel.name, tags)
                if rank is not None:
                    candidates.append((rank, digest, wheel))
        return min(candidates)[2] if candidates else None

    def ensure(self, requirements: Iterable[Requirement], platform: str) -> None:
        """Download the wheels of ``platform`` that are not stored yet (one pip run for all)."""
        missing = sorted({req for req in requirements if self.pick(req, platform) is None}, key=lambda r: r.name)
        if not missing:
            return
        print(f"downloading {len(missing)} wheel(s) for {platform}: {', '.join(r.name for r in missing)}", flush=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self._download(missing, platform)
        except BuildError:
            for requirement in missing:  # name the package(s) without a wheel, not just "pip failed"
                self._download([requirement], platform)
            raise

    def _download(self, requirements: Sequence[Requirement], platform: str) -> None:
        import tempfile  # noqa: PLC0415 - build-only: see the note on the imports

        with tempfile.TemporaryDirectory(dir=self.directory, prefix=".download-") as scratch:
            lock = Path(scratch) / "requirements.txt"
            write_requirements(lock, {req: None for req in requirements})
            result = run_pip(
                "download",
                *platform_options(platform),
                "--index-url",
                self.index_url,
                "--dest",
                str(Path(scratch) / "wheels"),
                "-r",
                str(lock),
            )
            if result.returncode != 0:
                names = ", ".join(f"{req.name}=={req.version}" for req in requirements)
                reason = last_line(result.stderr)
                raise BuildError(f"no wheel of {names} for {platform} (cp313) on {self.index_url}: {reason}")
            for wheel in sorted((Path(scratch) / "wheels").glob("*.whl")):
                digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                (self.directory / digest).mkdir(exist_ok=True)
                os.replace(wheel, self.directory / digest / wheel.name)


def platform_options(platform: str) -> list[str]:
    return [
        "--require-hashes",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        "".join(map(str, PYTHON_VERSION)),
    ]


def write_requirements(path: Path, wheels: dict[Requirement, Path | None]) -> None:
    """A lock pip can read: each requirement with its hashes (only the chosen wheel's when known)."""
    lines = []
    for requirement, wheel in wheels.items():
        hashes = [wheel.parent.name] if wheel is not None else requirement.hashes
        lines.append(f"{requirement.name}=={requirement.version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_pip(*arguments: str) -> subprocess.CompletedProcess[str]:
    """pip without the host's configuration (config files, PIP_* variables) deciding anything."""
    import subprocess  # noqa: PLC0415 - build-only: see the note on the imports

    env = {name: os.environ[name] for name in PIP_PASSTHROUGH_ENV if name in os.environ}
    env["PIP_CONFIG_FILE"] = os.devnull
    command = [sys.executable, "-m", "pip", *arguments, "--isolated", "--disable-pip-version-check", "--quiet"]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


# ---------------------------------------------------------------- building


def install(function: Function, wheelhouse: Wheelhouse, target: Path) -> None:
    """pip-install the function's pinned wheels, offline, for the Lambda platform."""
    if not function.requirements:
        return
    wheels: dict[Requirement, Path | None] = {}
    for requirement in function.requirements:
        wheel = wheelhouse.pick(requirement, function.platform)
        if wheel is None:
            raise BuildError(f"no wheel of {requirement.name}=={requirement.version} for {function.platform} stored")
        wheels[requirement] = wheel
    lock = target.parent / "requirements.lock"
    write_requirements(lock, wheels)
    find_links = [arg for wheel in wheels.values() if wheel for arg in ("--find-links", str(wheel.parent))]
    result = run_pip(
        "install",
        *platform_options(function.platform),
        "--no-index",
        *find_links,
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(lock),
    )
    if result.returncode != 0:
        raise BuildError(f"{function.name}: pip install failed: {last_line(result.stderr)}")


def slim(tree: Path) -> None:
    """Drop what Lambda never reads; keep *.dist-info/METADATA (importlib.metadata needs it)."""
    import shutil  # noqa: PLC0415 - build-only: see the note on the imports

    for path in sorted(tree.rglob("*"), reverse=True):  # children before their folders
        if path.is_dir():
            if path.name in DROPPED_DIRS or path == tree / "bin":
                shutil.rmtree(path)
        elif path.suffix in DROPPED_SUFFIXES or (
            path.parent.name.endswith(".dist-info") and path.name in DROPPED_METADATA
        ):
            path.unlink()


def copy_sources(function: Function, tree: Path) -> None:
    """The function's files at the root and the shared package, refusing to shadow a dependency."""
    import shutil  # noqa: PLC0415 - build-only: see the note on the imports

    for prefix, files in (("", function_sources(function)), ("cartflow/", source_files(SHARED_PACKAGE))):
        for relative, source in files:
            destination = tree / (prefix + relative)
            if destination.exists():
                raise BuildError(f"{display(source)}: would overwrite {prefix + relative} of a dependency")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            if os.access(source, os.X_OK):
                destination.chmod(0o755)


def compile_tree(tree: Path) -> None:
    """Byte-compile every module as PEP 552 unchecked-hash .pyc recording /var/task paths.

    A fresh interpreter with a fixed hash seed does it, so set and frozenset constants are
    marshalled in the same order on every build.
    """
    import subprocess  # noqa: PLC0415 - build-only: see the note on the imports

    command = [
        sys.executable,
        "-I",
        "-m",
        "compileall",
        "-q",
        "-o",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        "-d",
        TASK_ROOT,
        str(tree),
    ]
    env = {"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        where = re.search(r'File "(?P<file>[^"]+)", line (?P<line>\d+)', result.stdout)
        at = f"{where['file']}:{where['line']}: " if where else ""
        raise BuildError(f"byte-compiling failed: {at}{last_line(result.stdout + result.stderr)}")


def write_zip(tree: Path, destination: Path) -> int:
    """Zip ``tree`` deterministically into ``destination``; returns the unzipped size."""
    import zipfile  # noqa: PLC0415 - build-only: see the note on the imports

    stamp = time.gmtime(zip_epoch())
    date_time = (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)
    # Entry names as stored (folders end in "/"), sorted, so the order is the zip's own.
    entries = sorted(
        (path.relative_to(tree).as_posix() + ("/" if path.is_dir() else ""), path) for path in tree.rglob("*")
    )
    unzipped = 0
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in entries:
            is_dir = name.endswith("/")
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3  # Unix, so the permission bits below are honoured
            executable = is_dir or path.stat().st_mode & 0o100
            info.external_attr = ((0o40755 if is_dir else 0o100755 if executable else 0o100644) << 16) | (
                0x10 if is_dir else 0
            )
            if is_dir:
                archive.writestr(info, b"")
                continue
            data = path.read_bytes()
            unzipped += len(data)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return unzipped


def sha256_file(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def build_one(function: Function, digest: str, wheelhouse: Wheelhouse, out: Path, scratch_root: Path) -> Outcome:
    """Stage, slim, compile and zip one function; the zip appears only once complete."""
    import tempfile  # noqa: PLC0415 - build-only: see the note on the imports

    started = time.monotonic()
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_root, prefix=f"{function.name}-") as scratch:
        tree = Path(scratch) / "package"
        tree.mkdir()
        install(function, wheelhouse, tree)
        slim(tree)
        copy_sources(function, tree)
        compile_tree(tree)
        partial = Path(scratch) / f"{function.name}.zip"
        unzipped = write_zip(tree, partial)
        zipped = partial.stat().st_size
        if zipped > LAMBDA_ZIPPED_LIMIT or unzipped > LAMBDA_UNZIPPED_LIMIT:
            raise BuildError(
                f"{function.name}: {mb(zipped)} zipped / {mb(unzipped)} unzipped exceeds Lambda's "
                f"{mb(LAMBDA_ZIPPED_LIMIT)} / {mb(LAMBDA_UNZIPPED_LIMIT)}"
            )
        entry = manifest_entry(function, digest, out / f"{function.name}.zip", partial, unzipped)
        # The scratch folder may be on another file system than dist/: publish copies next to it first.
        publish(out / f"{function.name}.zip", partial.read_bytes())
    return Outcome(function, "built", entry, time.monotonic() - started)


def manifest_entry(function: Function, digest: str, final: Path, built: Path, unzipped: int) -> dict[str, Any]:
    raw = sha256_file(built)
    return {
        "zip": final.name,
        "sha256": raw.hex(),
        "source_code_hash": base64.b64encode(raw).decode(),
        "zipped_size": built.stat().st_size,
        "unzipped_size": unzipped,
        "runtime": function.runtime,
        "architecture": function.architecture,
        "handler": function.handler,
        "sdk": function.sdk,
        "inputs_hash": digest,
    }


def mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


# ---------------------------------------------------------------- manifest


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """Entries of the current manifest whose zip still exists with the recorded hash."""
    try:
        functions: dict[str, dict[str, Any]] = json.loads((out / "manifest.json").read_text())["functions"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        name: entry
        for name, entry in functions.items()
        if (out / entry["zip"]).is_file() and sha256_file(out / entry["zip"]).hex() == entry["sha256"]
    }


def write_manifest(out: Path, functions: dict[str, dict[str, Any]]) -> None:
    """Atomically replace dist/manifest.json."""
    document = {"format": FORMAT_VERSION, "functions": dict(sorted(functions.items()))}
    publish(out / "manifest.json", (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def publish(destination: Path, data: bytes) -> None:
    """Write a uniquely named hidden file next to ``destination``, then rename it into place."""
    import tempfile  # noqa: PLC0415 - build-only: see the note on the imports

    descriptor, staged = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(staged, 0o644)  # mkstemp creates 0600; the zip is read by Terraform and CI
        os.replace(staged, destination)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- verification


def verify(out: Path, entries: dict[str, dict[str, Any]], functions: Sequence[Function]) -> None:
    """Import each handler from its unzipped package alone in a fresh isolated interpreter."""
    import subprocess  # noqa: PLC0415 - build-only: see the note on the imports
    import tempfile  # noqa: PLC0415 - build-only: see the note on the imports
    import zipfile  # noqa: PLC0415 - build-only: see the note on the imports

    for function in functions:
        entry = entries[function.name]
        with tempfile.TemporaryDirectory(prefix=f"verify-{function.name}-") as scratch:
            package = Path(scratch) / "task"
            with zipfile.ZipFile(out / entry["zip"]) as archive:
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
                raise BuildError(
                    f"{entry['zip']}: handler {function.handler} does not import: {last_line(result.stderr)}"
                )
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


# ---------------------------------------------------------------- command line


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build a reproducible Lambda zip per function into OUT, with OUT/manifest.json.",
    )
    parser.add_argument("functions", nargs="*", metavar="FUNCTION", help="functions to build (default: all)")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), help="override every function's contract architecture")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument(
        "--sdk", choices=SDK_CHOICES, help="override every function's contract sdk (e.g. to measure both)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="functions built in parallel")
    parser.add_argument("--verify", action="store_true", help="import each handler from its zip in isolation")
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        default=Path(os.environ.get("CARTFLOW_WHEELHOUSE", ROOT / ".cache" / "wheelhouse")),
        help="wheel store shared between builds (default: $CARTFLOW_WHEELHOUSE or .cache/wheelhouse)",
    )
    parser.add_argument(
        "--index-url",
        default=os.environ.get("CARTFLOW_INDEX_URL", DEFAULT_INDEX_URL),
        help="where missing wheels are downloaded from (default: $CARTFLOW_INDEX_URL or PyPI)",
    )
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1:
        parser.error("--jobs must be at least 1")
    return arguments


def print_table(outcomes: Sequence[Outcome]) -> None:
    header = ("function", "status", "arch", "sdk", "zipped", "unzipped", "sha256", "seconds")
    rows = [
        (
            o.function.name,
            o.status,
            o.function.architecture,
            o.function.sdk,
            mb(o.entry["zipped_size"]),
            mb(o.entry["unzipped_size"]),
            o.entry["sha256"][:12],
            f"{o.seconds:.1f}",
        )
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def run(arguments: argparse.Namespace) -> list[Outcome]:
    if sys.version_info[:2] != PYTHON_VERSION:
        raise BuildError(f"build.py needs Python 3.13 (the runtime's byte-code), not {sys.version.split()[0]}")
    names = arguments.functions or discover()
    functions = [resolve(name, arguments.arch, arguments.sdk) for name in dict.fromkeys(names)]
    out: Path = arguments.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    existing = read_manifest(out)
    digests = {function.name: inputs_hash(function) for function in functions}
    stale = [f for f in functions if arguments.force or existing.get(f.name, {}).get("inputs_hash") != digests[f.name]]
    # No moment where the manifest lists a zip about to be replaced.
    entries = {name: entry for name, entry in existing.items() if name not in {f.name for f in stale}}
    if entries != existing:
        write_manifest(out, entries)
    wheelhouse = Wheelhouse(arguments.wheelhouse.resolve(), arguments.index_url)
    for platform in sorted({f.platform for f in stale}):
        wheelhouse.ensure((req for f in stale if f.platform == platform for req in f.requirements), platform)

    outcomes = [Outcome(f, "reused", existing[f.name], 0.0) for f in functions if f not in stale]
    for outcome in outcomes:
        progress(outcome)
    failures: list[str] = []
    if stale:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - build-only: see the note on the imports

        with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
            futures = {
                f: pool.submit(build_one, f, digests[f.name], wheelhouse, out, ROOT / ".build" / "package")
                for f in stale
            }
            for function, future in futures.items():
                try:
                    outcome = future.result()
                except BuildError as error:
                    failures.append(str(error))
                    (out / f"{function.name}.zip").unlink(missing_ok=True)
                    continue
                entries[function.name] = outcome.entry
                outcomes.append(outcome)
                progress(outcome)
        write_manifest(out, entries)
    if failures:
        raise BuildError("; ".join(failures))
    order = {f.name: i for i, f in enumerate(functions)}
    outcomes.sort(key=lambda outcome: order[outcome.function.name])
    print_table(outcomes)
    if arguments.verify:
        verify(out, entries, functions)
    return outcomes


def progress(outcome: Outcome) -> None:
    entry = outcome.entry
    print(
        f"{outcome.status:<6} {outcome.function.name:<20} {mb(entry['zipped_size']):>8}  "
        f"{entry['sha256'][:12]}  {outcome.seconds:5.1f} s",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        run(arguments)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
