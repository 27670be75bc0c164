"""The one cache of derived figures: its contract.

``cached(session, kinds, key, compute)`` (or ``@derived(*kinds)`` on ``fn(session, …)``) returns
what ``compute()`` returns now, from memory when the same key was computed under the same data:

* **Keyed by data versions.** Each kind of data (``OCCUPANCY``: buildings, units, self-use
  periods, companies, leases, snapshots; ``TAX``: tax records and their roll-up; ``SETTINGS``;
  ``PIPELINE``: leads, targets, follow-ups, stage changes) has a token that every write of that
  kind changes in the same transaction (ORM events, ``crm/cache/versions.py``). An entry is kept
  under the database, the tokens of the kinds it derives from, and ``key`` — which must name
  everything else the answer depends on (month, scope, rules, the day).
* **Never from unsaved changes.** When the session holds changes not yet flushed, or a kind has no
  token (a new or wiped database), the figure is computed and not kept. A figure computed while
  the transaction wrote (its tokens changed meanwhile) is not kept either. What a transaction
  keeps under its own new tokens can never be found after a rollback: tokens are random.
* **Shared, read-only.** Entries live per process, least recently used dropped beyond
  ``BUDGET_BYTES``; callers must not change what they get. Figures of plain data asked with
  ``shared`` (the district's month figures and tenants, every building's tax sums, today's
  figures, the vacant units, the month bridge, the 属地化 lists and card, the candidate listing) and the
  page parts are also kept in the host's store (``crm/cache/store.py``, under the same full
  key), so the worker processes of a host compute each of them once.
* **Seen at once elsewhere.** The tokens are read once per transaction (one query of a four-row
  table) and after each write of its own, so a write committed by any process or host is seen
  at the next request.

Only what saves a page at least a third of its server time at scale 10, or is needed under load,
goes through here (``python -m bench.caches`` and ``make loadtest`` measure each layer; README
"Caches" lists them with their gain): the month figures (``crm.services.snapshots``), every
building's tax sums (``crm.services.tax``), the pipeline figures (``crm.services.pipeline``), a
month's bridge, the dashboard's figures, the candidate listing, a building's figures today, the
demo-data flag and a home's lease counts (asked by every page or home: they pay under load), the
candidate PDF (under what it shows: no data version) and the rendered parts of
``crm/cache/fragments.py`` (building list, a building's space and tax parts, tax pages, company
search). ``crm/cache/memo.py`` keeps a value
for one transaction only (the tokens, the settings, a manager's buildings). The leads' states at
a moment are not keyed by the pipeline's token, which every follow-up changes: they are kept
with the journal row they were counted up to and brought up to date lead by lead
(``crm/cache/journal.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import pickle
import threading
from collections import OrderedDict
from datetime import date
from decimal import Decimal
from typing import Callable, TypeVar

from crm.cache import journal, store
from crm.cache.memo import remembered
from crm.cache.versions import OCCUPANCY, PIPELINE, SETTINGS, TAX, has_pending_changes, tokens

__all__ = ["OCCUPANCY", "PIPELINE", "SETTINGS", "TAX", "cached", "derived", "clear", "kept", "versioned_key"]

log = logging.getLogger(__name__)
T = TypeVar("T")
BUDGET_BYTES = 48 * 2**20  # per process; the district tables of scale 10 are a few MB each
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
        return 64 + _sampled(len(value), [_weight(k) + _weight(v) for k, v in _first(value.items())])
    if isinstance(value, (list, tuple, set, frozenset)):
        return 64 + _sampled(len(value), [_weight(v) for v in _first(value)])
    if dataclasses.is_dataclass(value):
        return 400
    return 32


SAMPLE = 64  # a long collection is weighed by its first items: weighing every row cost more than the cache saved


def _first(items):
    return itertools.islice(items, SAMPLE)


def _sampled(length: int, weights: list[int]) -> int:
    return sum(weights) if length <= len(weights) else sum(weights) * length // max(len(weights), 1)


_PLAIN = (str, int, float, bool, type(None), date, Decimal)  # hashable as they are (datetime is a date)


def frozen(value):
    """A hashable stand-in for a key part: lists as tuples, sets sorted, dicts and dataclasses as
    item tuples."""
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


def versioned_key(session, kinds: tuple[str, ...], key):
    """(the full key of ``key`` under the data versions of ``kinds``, the tokens it was read
    from), or None when nothing may be kept: the session holds unsaved changes (a computation's
    own autoflush would make them visible, the tokens would not), or a kind has no token. A
    caller keeps what it computed only while ``tokens(session)`` is still the returned tokens."""
    if has_pending_changes(session):
        return None
    versions = tokens(session)
    depend = tuple(versions.get(kind) for kind in kinds)
    if None in depend:
        return None
    database = remembered(session, "database_url", lambda: str(session.get_bind().url))
    return (database, depend, frozen(key)), versions


def cached(session, kinds: tuple[str, ...], key, compute: Callable[[], T], shared: bool = False) -> T:
    """``compute()``, or what it returned before under the same data versions of ``kinds`` and
    ``key`` (see the module's contract). ``shared``: also kept in the host's store
    (``crm/cache/store.py``), for the other worker processes — for plain data only (no ORM
    objects: they would come back detached from any session)."""
    keyed = versioned_key(session, kinds, key)
    if keyed is None:
        return compute()
    full_key, versions = keyed
    with _lock:
        found = _cache.get(full_key)
        if found is not None:
            _cache.move_to_end(full_key)
            return found[0]
    path = _store_path(full_key, shared)
    value = _from_store(path)
    if value is _MISSING:
        value = compute()
        if tokens(session) is not versions:  # the transaction wrote meanwhile
            return value
        if path is not None:
            _to_store(path, value)
    _remember(full_key, value)
    return value


def _remember(full_key, value) -> None:
    global _weight_total
    weight = _weight(value)
    with _lock:
        if full_key not in _cache:
            _cache[full_key] = (value, weight)
            _weight_total += weight
        while _weight_total > BUDGET_BYTES and _cache:
            _, (_, dropped) = _cache.popitem(last=False)
            _weight_total -= dropped


_MISSING = object()


def _store_path(full_key, shared: bool):
    return store.path_of(full_key, ".pickle") if shared else None


def _from_store(path):
    data = store.read(path) if path is not None else None
    if data is None:
        return _MISSING
    try:
        return pickle.loads(data)
    except Exception as error:  # a file of an older release, or cut short: computed again
        log.warning("共享缓存文件无法读取，改为重新计算：%s（%s）", path, error)
        return _MISSING


def _to_store(path, value) -> None:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as error:  # marked shared by mistake
        log.warning("无法放入共享缓存（仅本进程保留）：%s（%s）", path.name, error)
        return
    store.write(path, data)


def kept(session, kinds: tuple[str, ...], key, shared: bool = False):
    """What ``cached`` holds for ``key`` under the current data versions of ``kinds`` (with
    ``shared``, in this process or the host's store), or None: a look that never computes (a
    caller may then derive its answer from a larger one)."""
    keyed = versioned_key(session, kinds, key)
    if keyed is None:
        return None
    full_key = keyed[0]
    with _lock:
        found = _cache.get(full_key)
    if found is not None:
        return found[0]
    value = _from_store(_store_path(full_key, shared))
    if value is _MISSING:
        return None
    _remember(full_key, value)
    return value


def derived(*kinds: str, shared: bool = False):
    """Decorator: cache ``fn(session, …)`` under the tokens of ``kinds`` and its other arguments
    (``shared``: see ``cached``)."""

    def wrap(fn):
        def key_of(args, kwargs):
            return (fn.__module__, fn.__qualname__, args, kwargs)

        @functools.wraps(fn)
        def through_cache(session, *args, **kwargs):
            return cached(session, kinds, key_of(args, kwargs), lambda: fn(session, *args, **kwargs), shared)

        through_cache.uncached = fn
        through_cache.kept = lambda session, *args, **kwargs: kept(session, kinds, key_of(args, kwargs), shared)
        return through_cache

    return wrap


def clear() -> None:
    """Forget every cached answer (benchmarks measure the uncached path)."""
    global _weight_total
    with _lock:
        _cache.clear()
        _weight_total = 0
    journal.forget_all()
