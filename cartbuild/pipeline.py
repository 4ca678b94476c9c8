"""One packaging run: resolve the functions, reuse what is unchanged, build the rest in parallel.

The manifest never lists a zip about to be replaced, and a zip appears only once complete.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cartbuild.dependencies import stage
from cartbuild.errors import BuildError
from cartbuild.files import ROOT, display, mb, sha256_hex, write_atomically
from cartbuild.functions import (
    PYTHON_VERSION,
    SHARED_PACKAGE,
    Function,
    discover,
    function_sources,
    inputs_hash,
    resolve,
    source_files,
)
from cartbuild.machine_code import foreign_files
from cartbuild.manifest import Entry, Manifest, base64_of, intact_entries
from cartbuild.wheelhouse import Wheelhouse
from cartbuild.zipping import LAMBDA_UNZIPPED_LIMIT, LAMBDA_ZIPPED_LIMIT, compile_tree, write_zip


@dataclass(frozen=True)
class Outcome:
    """What happened to one function, for the progress line, the table and the manifest."""

    function: Function
    status: str
    entry: Entry
    seconds: float


def build_one(function: Function, digest: str, wheelhouse: Wheelhouse, out: Path, scratch_root: Path) -> Outcome:
    """Stage, slim, compile and zip one function; the zip appears only once complete."""
    import tempfile  # noqa: PLC0415 - build-only: see cartbuild's docstring

    from cartbuild import validators  # noqa: PLC0415 - build-only: see cartbuild's docstring

    started = time.monotonic()
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_root, prefix=f"{function.name}-") as scratch:
        tree = Path(scratch) / "package"
        tree.mkdir()
        reusable = stage(function, wheelhouse, scratch_root.parent / "dependencies", tree, Path(scratch))
        compile_tree(tree, copy_sources(function, tree) + validators.write(function, tree))
        partial = Path(scratch) / f"{function.name}.zip"
        unzipped = write_zip(tree, partial, reuse=reusable)
        zipped = partial.stat().st_size
        if zipped > LAMBDA_ZIPPED_LIMIT or unzipped > LAMBDA_UNZIPPED_LIMIT:
            raise BuildError(
                f"{function.name}: {mb(zipped)} zipped / {mb(unzipped)} unzipped exceeds Lambda's "
                f"{mb(LAMBDA_ZIPPED_LIMIT)} / {mb(LAMBDA_UNZIPPED_LIMIT)}"
            )
        refuse_foreign_code(function, partial)
        entry = manifest_entry(function, digest, partial, unzipped)
        # The scratch folder may be on another file system than dist/: write next to it first.
        write_atomically(out / f"{function.name}.zip", partial.read_bytes())
    return Outcome(function, "built", entry, time.monotonic() - started)


def refuse_foreign_code(function: Function, built: Path) -> None:
    """Fail when compiled code in the zip cannot load on the function's architecture."""
    import zipfile  # noqa: PLC0415 - build-only: see cartbuild's docstring

    with zipfile.ZipFile(built) as archive:
        foreign = foreign_files(archive, function.architecture)
    if foreign:
        first = foreign[0]
        raise BuildError(
            f"{function.name}: {first.member} is compiled for {first.architecture}, "
            f"but the function runs on {function.architecture}"
        )


def copy_sources(function: Function, tree: Path) -> list[Path]:
    """The function's files at the root and the shared package, refusing to shadow a dependency.

    Returns the files it added (the dependencies were compiled when staged; these still need it).
    """
    import shutil  # noqa: PLC0415 - build-only: see cartbuild's docstring

    added = []
    for prefix, files in (("", function_sources(function)), ("cartflow/", source_files(SHARED_PACKAGE))):
        for relative, source in files:
            destination = tree / (prefix + relative)
            if destination.exists():
                raise BuildError(f"{display(source)}: would overwrite {prefix + relative} of a dependency")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            if os.access(source, os.X_OK):
                destination.chmod(0o755)
            added.append(destination)
    return added


def manifest_entry(function: Function, digest: str, built: Path, unzipped: int) -> Entry:
    sha256 = sha256_hex(built.read_bytes())
    return Entry(
        zip=f"{function.name}.zip",
        sha256=sha256,
        source_code_hash=base64_of(sha256),
        zipped_size=built.stat().st_size,
        unzipped_size=unzipped,
        runtime=function.runtime,
        architecture=function.architecture,
        handler=function.handler,
        sdk=function.sdk,
        inputs_hash=digest,
    )


def print_table(outcomes: Sequence[Outcome]) -> None:
    header = ("function", "status", "arch", "sdk", "zipped", "unzipped", "sha256", "seconds")
    rows = [
        (
            o.function.name,
            o.status,
            o.function.architecture,
            o.function.sdk,
            mb(o.entry.zipped_size),
            mb(o.entry.unzipped_size or 0),
            o.entry.sha256[:12],
            f"{o.seconds:.1f}",
        )
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@dataclass(frozen=True, kw_only=True)
class Request:
    """What to build and how (the command line's choices)."""

    functions: Sequence[str]
    out: Path
    wheelhouse: Path
    arch: str | None = None
    sdk: str | None = None
    force: bool = False
    jobs: int = 1
    verify: bool = False


def run(request: Request) -> list[Outcome]:
    if sys.version_info[:2] != PYTHON_VERSION:
        raise BuildError(f"build.py needs Python 3.13 (the runtime's byte-code), not {sys.version.split()[0]}")
    names = request.functions or discover()
    functions = [resolve(name, request.arch, request.sdk) for name in dict.fromkeys(names)]
    out = request.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    existing = intact_entries(out)
    digests = {function.name: inputs_hash(function) for function in functions}
    stale = [
        f
        for f in functions
        if request.force or f.name not in existing or existing[f.name].inputs_hash != digests[f.name]
    ]
    # No moment where the manifest lists a zip about to be replaced.
    entries = {name: entry for name, entry in existing.items() if name not in {f.name for f in stale}}
    if entries != existing:
        Manifest(entries).write(out)
    wheelhouse = Wheelhouse(request.wheelhouse.resolve())
    for platform in sorted({f.platform for f in stale}):
        wheelhouse.ensure((req for f in stale if f.platform == platform for req in f.requirements), platform)

    outcomes = [Outcome(f, "reused", existing[f.name], 0.0) for f in functions if f not in stale]
    for outcome in outcomes:
        progress(outcome)
    failures: list[str] = []
    if stale:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - build-only: see cartbuild's docstring

        with ThreadPoolExecutor(max_workers=request.jobs) as pool:
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
        Manifest(entries).write(out)
    if failures:
        raise BuildError("; ".join(failures))
    order = {f.name: i for i, f in enumerate(functions)}
    outcomes.sort(key=lambda outcome: order[outcome.function.name])
    print_table(outcomes)
    if request.verify:
        from cartbuild.verify import verify  # noqa: PLC0415 - build-only: see cartbuild's docstring

        verify(out, entries, functions)
    return outcomes


def progress(outcome: Outcome) -> None:
    entry = outcome.entry
    print(
        f"{outcome.status:<6} {outcome.function.name:<20} {mb(entry.zipped_size):>8}  "
        f"{entry.sha256[:12]}  {outcome.seconds:5.1f} s",
        flush=True,
    )
