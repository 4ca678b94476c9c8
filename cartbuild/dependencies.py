"""A function's installed, slimmed and byte-compiled dependencies, kept between builds.

pip install and compiling every dependency are most of a build, yet an edit to a function or to
cartflow changes neither; so each lock's tree is made once per platform and packaging code, then
linked into every build that needs it. That keeps a source-only rebuild (``make local``'s hot
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
from cartbuild.zipping import compile_tree, slim


def store_key(function: Function) -> str:
    """What decides the dependency tree's bytes: the lock, the platform and the packaging code."""
    digest = hashlib.sha256()
    digest.update(function.platform.encode())
    digest.update(json.dumps([[r.name, r.version, r.hashes] for r in function.requirements]).encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def stage(function: Function, wheelhouse: Wheelhouse, store: Path, tree: Path, scratch: Path) -> None:
    """Fill the empty folder ``tree`` with ``function``'s dependencies, from ``store`` when it has them."""
    import shutil  # noqa: PLC0415 - build-only: see cartbuild's docstring

    kept = store / store_key(function)
    if not kept.is_dir():
        fresh = scratch / "dependencies"
        fresh.mkdir()
        install(function, wheelhouse, fresh)
        slim(fresh)
        compile_tree(fresh)
        store.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(fresh, kept)
        except OSError:  # a parallel build stored the same tree first
            shutil.rmtree(fresh)
    # Hard links: nothing in a build rewrites a staged file, it only adds the sources.
    shutil.copytree(kept, tree, copy_function=os.link, dirs_exist_ok=True)
