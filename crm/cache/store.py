"""The host's store: what one worker process computed, on disk for the others of the same host.

With four gunicorn workers each keeping its own figure cache, every district figure and every
page part would be computed four times after each write (and at each start): ``make loadtest``
showed those first views to be most of its slow first minute. An entry is one file named by a
digest of its full key — (database, data-version tokens, key), as the figure cache keys it — written
once, atomically (a temporary file renamed into place), and never changed: a write to the data
changes a token and so the name. The oldest files are pruned when the directory outgrows its
budget. A store that cannot be read or written costs only the work it would have saved.

Where the store is comes from the app (``configure``): ``FRAGMENT_CACHE_DIR``
(``CRM_FRAGMENT_CACHE_DIR``, default ``<instance>/fragments``; empty turns it off). Only the app
itself writes there, so its pickled figures are as trusted as its code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

BUDGET_BYTES = 256 * 2**20  # about 2,500 building pages' parts at scale 10, with the figures
PRUNE_EVERY = 200  # writes of this process between two looks at the directory's size
_writes = 0
_lock = threading.Lock()
_where: Callable[[], str | None] = lambda: None  # noqa: E731  (no store until the app says where)


def configure(where: Callable[[], str | None]) -> None:
    """Tell the store where it is: ``where()`` names the directory (None or empty: no store),
    asked at each use, so an app's setting changed at run time (tests, benchmarks) counts."""
    global _where
    _where = where


def directory() -> Path | None:
    configured = _where()
    return Path(configured) if configured else None


def path_of(full_key, suffix: str) -> Path | None:
    """The file of ``full_key`` (a frozen key: its repr is the same in every process), or None
    without a store."""
    base = directory()
    if base is None:
        return None
    digest = hashlib.sha256(repr(full_key).encode("utf-8")).hexdigest()
    return base / digest[:2] / f"{digest}{suffix}"


def read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("共享缓存文件无法读取，改为重新计算：%s（%s）", path, error)
        return None


def write(path: Path, data: bytes) -> None:
    global _writes
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)  # readers see the whole file or none
    except OSError as error:
        log.warning("共享缓存无法写入 %s：%s", path.parent, error)
        return
    with _lock:
        _writes += 1
        due = _writes % PRUNE_EVERY == 0
    if due:
        prune(path.parent.parent)


def prune(base: Path, budget: int = BUDGET_BYTES) -> int:
    """Delete the oldest entries until the directory holds at most three quarters of ``budget``
    (only when it holds more than ``budget``). Returns how many files went."""
    entries = []
    for file in base.glob("*/*.*"):
        if file.suffix == ".tmp":
            continue
        try:
            stat = file.stat()
        except FileNotFoundError:  # pruned by another process meanwhile
            continue
        entries.append((stat.st_mtime, stat.st_size, file))
    total = sum(size for _, size, _ in entries)
    if total <= budget:
        return 0
    removed = 0
    for _, size, file in sorted(entries):
        if total <= budget * 3 // 4:
            break
        try:
            file.unlink()
        except FileNotFoundError:
            pass
        total -= size
        removed += 1
    return removed
