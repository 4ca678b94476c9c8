"""Two of moto's server-side lookups, remembered instead of redone for every request.

moto's server spends much of each request on work whose answer never changes in a run: its
dispatcher lists moto's package directory (a stat per service) to see whether the Host header
names a service, and EventBridge builds a new JSONPath parser (a PLY grammar) for every input
path of every event it transforms. Both are pure functions of their arguments, so the local
stack's moto process (cartlocal.local_aws.server) caches them: moto answers the same, sooner, and
its one GIL is free sooner for the functions' other calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import jsonpath_ng.ext
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto import backends


def install() -> None:
    """Cache the lookups in this process (moto's server process only)."""
    modules: Callable[[], Iterable[str]] = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(modules()))
    # moto.events.utils imports ``parse`` from jsonpath_ng.ext when it transforms an event.
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_parse)  # type: ignore[attr-defined]
