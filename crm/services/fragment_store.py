"""Rendered page parts kept on disk, so every worker process of one host shares them.

The figure cache (``crm/services/figure_cache.py``) is per process: with four gunicorn workers a
building's stacking plan would be built four times, and at 350 buildings most views in a busy
hour would be some worker's first. Behind that per-process cache this store keeps each part as
one JSON file named by a digest of (database, data-version tokens, key). A file is written once,
atomically (a temporary file renamed into place), and never changed: a write to the data changes
a token and so the name, and stale files are pruned by age when the directory outgrows its budget.

Parts are stored only when every token they depend on exists: an empty or wiped database has no
tokens, and two such databases must never share a part. ``FRAGMENT_CACHE_DIR`` (environment
``CRM_FRAGMENT_CACHE_DIR``, default ``<instance>/fragments``) names the directory; empty turns
the store off. A store that cannot be read or written only costs the rendering it would have saved.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable

from flask import current_app

from crm.models.version import tokens
from crm.services.figure_cache import cached, frozen

log = logging.getLogger(__name__)

BUDGET_BYTES = 256 * 2**20  # about 2,500 building pages' parts at scale 10
PRUNE_EVERY = 200           # writes of this process between two looks at the directory's size
_writes = 0
_lock = threading.Lock()


def store_directory() -> Path | None:
    configured = current_app.config.get("FRAGMENT_CACHE_DIR")
    return Path(configured) if configured else None


def cached_on_host(session, depends: tuple[str, ...], key, render: Callable[[], dict[str, str]]) -> dict[str, str]:
    """{part: text} through this process's figure cache and, behind it, the store on disk that
    the host's other worker processes fill too."""
    full_key = frozen(key)
    return cached(session, depends, full_key, lambda: shared_parts(session, depends, full_key, render))


def shared_parts(session, depends: tuple[str, ...], key, render: Callable[[], dict[str, str]]) -> dict[str, str]:
    """{part: HTML}: read from the store when another process rendered it under the same tokens,
    else rendered here and stored for the others."""
    directory = store_directory()
    versions = tokens(session)
    depend_tokens = tuple(versions.get(name) for name in depends)
    if directory is None or None in depend_tokens:
        return render()
    path = _path_for(directory, (str(session.get_bind().url), depend_tokens, key))
    stored = _read(path)
    if stored is not None:
        return stored
    parts = render()
    _write(directory, path, parts)
    return parts


def _path_for(directory: Path, full_key) -> Path:
    # repr is stable across processes for the key's parts (str, int, date, Decimal, tuples):
    # fragments pass keys through figure_cache.frozen, which has turned dicts, sets and dataclasses into sorted tuples.
    digest = hashlib.sha256(repr(full_key).encode("utf-8")).hexdigest()
    return directory / digest[:2] / f"{digest}.json"


def _read(path: Path) -> dict[str, str] | None:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("片段缓存文件无法读取，改为重新生成：%s（%s）", path, error)
        return None


def _write(directory: Path, path: Path, parts: dict[str, str]) -> None:
    global _writes
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(json.dumps(parts, ensure_ascii=False).encode("utf-8"))
        os.replace(handle.name, path)  # readers see the whole file or none
    except OSError as error:
        log.warning("片段缓存无法写入 %s：%s", directory, error)
        return
    with _lock:
        _writes += 1
        due = _writes % PRUNE_EVERY == 0
    if due:
        prune(directory)


def prune(directory: Path, budget: int = BUDGET_BYTES) -> int:
    """Delete the oldest parts until the directory holds at most three quarters of ``budget``
    (only when it holds more than ``budget``). Returns how many files went."""
    entries = []
    for file in directory.glob("*/*.json"):
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
