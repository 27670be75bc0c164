"""A per-process cache of derived figures, keyed by the data versions they derive from.

District pages aggregate every lease, unit and tax roll-up row of 350 buildings; the result only
changes when those rows do. ``derived(OCCUPANCY)`` or ``derived(TAX)`` on a query function keeps
its answers per (database, data-version tokens, arguments); the tokens are read from the
database on every call (one query of a two-row table), so a write in any process or on any host
is seen at the next request. A transaction that has just written reads its own new token, so it
never gets figures from before its write.

Cached answers are shared: callers must not change what they get (``occupancy_for_months``
hands out copies because its callers add to the figures).
"""
from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from datetime import date
from decimal import Decimal
from typing import Callable, TypeVar

from crm.models.memo import remembered
from crm.models.version import tokens

T = TypeVar("T")
# Per process. At scale 10 the building pages' parts alone are 350 buildings × ~50 KB; the
# district tables a few MB each. Least recently used entries go first.
BUDGET_BYTES = 48 * 2**20
_cache: OrderedDict = OrderedDict()  # key -> (value, weight)
_weight_total = 0
_lock = threading.Lock()


def _weight(value) -> int:
    """Roughly the bytes ``value`` holds (CPython keeps Chinese text at 2 bytes a character)."""
    if isinstance(value, str):
        return 50 + 2 * len(value)
    if isinstance(value, (bytes, bytearray)):
        return 40 + len(value)
    if isinstance(value, dict):
        return 64 + sum(_weight(k) + _weight(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return 64 + sum(_weight(v) for v in value)
    if dataclasses.is_dataclass(value):
        return 400
    return 32


_PLAIN = (str, int, float, bool, type(None), date, Decimal)  # hashable as they are (datetime is a date)


def frozen(value):
    """A hashable stand-in for a key part: lists as tuples, sets sorted, dicts and dataclasses as
    item tuples. Cheap for the common key, a tuple of plain values (a board asks 180 times)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, tuple) and all(isinstance(v, _PLAIN) for v in value):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, frozen(dataclasses.asdict(value)))
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def cached(session, depends: tuple[str, ...], key, compute: Callable[[], T]) -> T:
    global _weight_total
    versions = tokens(session)
    database = remembered(session, "database_url", lambda: str(session.get_bind().url))
    full_key = (database, tuple(versions.get(name) for name in depends), frozen(key))
    with _lock:
        found = _cache.get(full_key)
        if found is not None:
            _cache.move_to_end(full_key)
            return found[0]
    value = compute()
    weight = _weight(value)
    with _lock:
        if full_key not in _cache:
            _cache[full_key] = (value, weight)
            _weight_total += weight
        while _weight_total > BUDGET_BYTES and _cache:
            _, (_, dropped) = _cache.popitem(last=False)
            _weight_total -= dropped
    return value


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
    global _weight_total
    with _lock:
        _cache.clear()
        _weight_total = 0
