"""A function's installed, slimmed and byte-compiled dependencies, kept between builds.

pip install, compiling and compressing every dependency are most of a build, yet an edit to a
function or to cartflow changes none of them; so each lock's tree, and a zip of it, are made once
per platform and packaging code, then the tree is linked into every build that needs it and the
zip's compressed entries are copied into the function's zip. That keeps a source-only rebuild (``make local``'s hot
reload) within a couple of seconds. The tree is exactly what a build without the store stages
before adding the sources, so the zips are byte-identical either way.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from cartbuild.functions import PACKAGE_DIR, Function
from cartbuild.wheelhouse import Wheelhouse, install
from cartbuild.zipping import compile_tree, slim, write_zip


def store_key(function: Function) -> str:
    """What decides the dependency tree's bytes: the lock, the platform and the packaging code."""
    digest = hashlib.sha256()
    digest.update(function.platform.encode())
    digest.update(json.dumps([[r.name, r.version, r.hashes] for r in function.requirements]).encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stage(function: Function, wheelhouse: Wheelhouse, store: Path, tree: Path, scratch: Path) -> Path:
    """Fill the empty folder ``tree`` with ``function``'s dependencies, from ``store`` when it has them.

    Returns the store's zip of those dependencies, whose compressed entries the function's zip reuses.
    """
    import shutil  # noqa: PLC0415 - build-only: see cartbuild's docstring

    kept = store / store_key(function)
    kept_zip = store / f"{kept.name}.zip"
    if not (kept.is_dir() and kept_zip.is_file()):
        fresh = scratch / "dependencies"
        fresh.mkdir()
        install(function, wheelhouse, fresh)
        slim(fresh)
        compile_tree(fresh)
        write_zip(fresh, scratch / "dependencies.zip")
        store.mkdir(parents=True, exist_ok=True)
        # The zip first, so a stored tree always has its zip (same bytes if a parallel build won).
        os.replace(scratch / "dependencies.zip", kept_zip)
        try:
            os.replace(fresh, kept)
        except OSError:  # a parallel build stored the same tree first
            shutil.rmtree(fresh)
    # Hard links: nothing in a build rewrites a staged file, it only adds the sources.
    shutil.copytree(kept, tree, copy_function=os.link, dirs_exist_ok=True)
    return kept_zip
