"""JSON Schema ``pattern`` with ECMA-262 semantics, as draft 4 prescribes and API Gateway's validator applies.

Python's ``re`` lets ``$`` match before a final newline; ECMA-262 does not, so ``"ada\\n"`` must
fail ``^[A-Za-z0-9._@:-]+$`` as it does on AWS and in the consumers' models.
"""

from __future__ import annotations

import re
from functools import cache


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled so that ``$`` outside a character class means end of input, as in ECMA-262."""
    translated: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            translated.append(r"\Z")
            continue
        translated.append(char)
    return re.compile("".join(translated))
