"""``make package``: build one reproducible Lambda zip per function into dist/ (see cartbuild).

This file is only the command line: arguments in, exit status out. The packaging itself lives in
the cartbuild package, one module per concern.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cartbuild.errors import BuildError
from cartbuild.files import ROOT
from cartbuild.functions import PLATFORMS, SDK_CHOICES
from cartbuild.pipeline import Request, run


def parse_arguments(argv: Sequence[str] | None) -> Request:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build a reproducible Lambda zip per function into OUT, with OUT/manifest.json. "
        "Missing wheels are downloaded with pip's own configuration (PIP_INDEX_URL, pip.conf).",
    )
    parser.add_argument("functions", nargs="*", metavar="FUNCTION", help="functions to build (default: all)")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), help="override every function's contract architecture")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    parser.add_argument("--sdk", choices=SDK_CHOICES, help="override every function's contract sdk")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="functions built in parallel")
    parser.add_argument("--verify", action="store_true", help="import each handler from its zip in isolation")
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        default=Path(os.environ.get("CARTFLOW_WHEELHOUSE", ROOT / ".cache" / "wheelhouse")),
        help="wheel store shared between builds (default: $CARTFLOW_WHEELHOUSE or .cache/wheelhouse)",
    )
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1:
        parser.error("--jobs must be at least 1")
    return Request(
        functions=arguments.functions,
        out=arguments.out,
        wheelhouse=arguments.wheelhouse,
        arch=arguments.arch,
        sdk=arguments.sdk,
        force=arguments.force,
        jobs=arguments.jobs,
        verify=arguments.verify,
    )


def main(argv: Sequence[str] | None = None) -> int:
    request = parse_arguments(argv)
    try:
        run(request)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
