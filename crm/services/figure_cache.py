"""A per-process cache of derived figures, keyed by the data versions they derive from.

District pages aggregate every lease, unit and tax roll-up row of 350 buildings; the result only
changes when those rows do. ``derived(OCCUPANCY)`` or ``derived(TAX)`` on a query function keeps
its answers per (database, data-version tokens, arguments); the tokens are read from the
database on every call (one query of a two-row table), so a write in any process or on any host
is seen at the next request. A transaction that has just written reads its own new token, so it
never gets figures from before its write.

Cached answers are shared: callers must not change what they get (``occupancy_on_days_cached``
hands out copies because its callers add to the figures).
"""
from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from typing import Callable, TypeVar

from crm.models.version import tokens

T = TypeVar("T")
CACHE_SIZE = 256
_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _frozen(value):
    """A hashable stand-in for a key part: lists as tuples, sets sorted, dicts and dataclasses as
    item tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, _frozen(dataclasses.asdict(value)))
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def cached(session, depends: tuple[str, ...], key, compute: Callable[[], T]) -> T:
    versions = tokens(session)
    full_key = (str(session.get_bind().url), tuple(versions.get(name) for name in depends), _frozen(key))
    with _lock:
        found = _cache.get(full_key, _MISSING)
        if found is not _MISSING:
            _cache.move_to_end(full_key)
            return found
    value = compute()
    with _lock:
        _cache[full_key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


_MISSING = object()


def derived(*depends: str):
    """Decorator: cache ``fn(session, …)`` by the tokens of ``depends`` and its other arguments."""
    def wrap(fn):
        @functools.wraps(fn)
        def through_cache(session, *args, **kwargs):
            key = (fn.__module__, fn.__qualname__, args, kwargs)
            return cached(session, depends, key, lambda: fn(session, *args, **kwargs))

        through_cache.uncached = fn
        return through_cache
    return wrap


def clear() -> None:
    """Forget every cached answer (query-count tests measure the uncached path)."""
    with _lock:
        _cache.clear()
