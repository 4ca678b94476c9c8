"""The caller and the spoofed body the identity tests share: a token says ada, the body says mallory."""

from __future__ import annotations

from typing import Any

ADA: dict[str, Any] = {"sub": "ada", "email": "ada@example.com"}
SPOOFED_ADD = {"user": "mallory", "product": "sku-42", "quantity": 2, "email": "mallory@evil.example"}
