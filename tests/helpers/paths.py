"""Where the repository is, so tests in any folder name files the same way."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
