"""The one error type the local runtime reports as a single line (port in use, missing dist/, ...).

The CLI prints it as ``error: <message>`` and exits non-zero instead of showing a traceback,
because these are problems of the developer's machine or input, not bugs.
"""

from __future__ import annotations


class LocalError(RuntimeError):
    """A problem the developer can fix; its message is one line saying what and where."""
