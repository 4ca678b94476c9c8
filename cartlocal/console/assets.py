"""The page's third-party files, served from the npm install next to this module.

``npm ci`` installs exactly what ``package-lock.json`` pins (each tarball checked against its
integrity hash); only the files listed here are served, so nothing else under node_modules is
reachable over HTTP.
"""

from __future__ import annotations

from pathlib import Path

from cartlocal.errors import LocalError

MODULES = Path(__file__).resolve().parent / "node_modules"
# URL name → (file under node_modules, media type).
ASSETS = {
    "htmx.min.js": ("htmx.org/dist/htmx.min.js", "text/javascript"),
    "sse.min.js": ("htmx-ext-sse/dist/sse.min.js", "text/javascript"),
    "pico.min.css": ("@picocss/pico/css/pico.min.css", "text/css"),
}


def check_installed() -> None:
    """Fail with one line when ``npm ci`` has not installed the assets (before anything starts)."""
    missing = [relative for relative, _ in ASSETS.values() if not (MODULES / relative).is_file()]
    if missing:
        raise LocalError(
            f"console assets missing ({', '.join(missing)}): run make console-assets "
            "(npm ci in cartlocal/console), or make local CONSOLE=0"
        )


def read(name: str) -> tuple[bytes, str] | None:
    """The bytes and media type of asset ``name``; None when it is not one of ours."""
    if name not in ASSETS:
        return None
    relative, media_type = ASSETS[name]
    return (MODULES / relative).read_bytes(), media_type
