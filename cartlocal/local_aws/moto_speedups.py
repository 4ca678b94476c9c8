"""Three of moto's server-side computations, done once or in constant time instead of per request.

moto's server spends much of each request on work whose answer it already has: its dispatcher
lists moto's package directory (a stat per service) to see whether the Host header names a
service; EventBridge builds a new JSONPath parser (a PLY grammar) for every input path of every
event it transforms; and SQS, for each message it hands out, reads the queue's retention period
through ``get_queue_attributes``, which computes every attribute of the queue, its message counts
by a pass over all its messages, three times over. A burst of n messages thus costs a receive
O(n^2). The local stack's moto process (cartlocal.local_aws.server) installs the same answers,
computed once or read directly: moto answers the same, sooner, and its one GIL is free sooner for
the functions' other calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import jsonpath_ng.ext
from jsonpath_ng.ext.parser import parse as jsonpath_parse
from moto import backends
from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend


def _retained(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's own test (still within the queue's retention period?), with the period read directly."""
    period = backend.get_queue(queue_name).message_retention_period  # type: ignore[attr-defined]
    return bool(period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]  # as moto's own


def install() -> None:
    """Install the shortcuts in this process (moto's server process only)."""
    modules: Callable[[], Iterable[str]] = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(modules()))
    # moto.events.utils imports ``parse`` from jsonpath_ng.ext when it transforms an event.
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_parse)  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[assignment,method-assign]
