"""Install the stand-in into a filesystem mirror that `terraform init -plugin-dir` resolves.

Why this exists: Terraform finds providers by address (registry.terraform.io/hashicorp/aws) and
version; offline, `-plugin-dir=<mirror>` makes init look only in that folder's unpacked layout
`<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>`. The
executable is a two-line Python script whose interpreter is this venv's, so the stand-in runs
with exactly the locked dependencies, and whose import path is this checkout.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from tools.provider_schema import PROVIDER_VERSION

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = ("registry.terraform.io", "hashicorp", "aws")


def platform_dir() -> str:
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    return f"{sys.platform.removesuffix('2')}_{machine}"


def install(mirror: Path, *, python: str = sys.executable, root: Path = ROOT) -> Path:
    """Write the provider executable into the mirror; returns its path."""
    folder = mirror.joinpath(*ADDRESS, PROVIDER_VERSION, platform_dir())
    folder.mkdir(parents=True, exist_ok=True)
    executable = folder / f"terraform-provider-aws_v{PROVIDER_VERSION}"
    executable.write_text(
        f"#!{python}\n"
        "# The cartflow stand-in for hashicorp/aws (cartprovider/); installed by cartprovider/mirror.py.\n"
        f"import sys; sys.path.insert(0, {str(root)!r})\n"
        "from cartprovider.plugin import main\n"
        "main()\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    return executable


if __name__ == "__main__":
    print(install(Path(sys.argv[1])))
