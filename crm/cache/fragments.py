"""Cached HTML fragments: the heavy parts of district pages that are the same for every reader.

A stacking plan of 170 units or a table of 350 buildings costs tens of milliseconds to query and
render, and changes only when units, leases, companies or tax do. Such a part is rendered once per
(data-version tokens, what the part depends on) through the figure cache and reused until a
write changes a token. The key must name everything the part shows that is not in the tokens:
month, building, and any permission that changes the markup (e.g. whether the reader manages
the building). Parts hold no CSRF token and nothing else per user or per request.

Behind each worker process's figure cache the parts are also kept on disk, so the worker
processes of one host share them: with four gunicorn workers and 350 buildings most views of a
busy hour would otherwise be some worker's first (measured by ``make loadtest``). A part is one
JSON file named by a digest of (database, data-version tokens, key), written once, atomically (a
temporary file renamed into place), and never changed — a write to the data changes a token and
so the name; the oldest files are pruned when the directory outgrows its budget. The store keeps
the figure cache's contract: nothing from unsaved changes, nothing without every token, nothing
computed while the transaction wrote. ``FRAGMENT_CACHE_DIR`` (``CRM_FRAGMENT_CACHE_DIR``, default
``<instance>/fragments``; empty: off) names the directory. A store that cannot be read or written
costs only the rendering it would have saved.

For views only (it renders templates): services import ``crm.cache``, never this module.
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
from markupsafe import Markup

from crm.cache import cached, frozen, versioned_key
from crm.cache.versions import tokens
from crm.extensions import db

log = logging.getLogger(__name__)

BUDGET_BYTES = 256 * 2**20  # about 2,500 building pages' parts at scale 10
PRUNE_EVERY = 200  # writes of this process between two looks at the directory's size
_writes = 0
_lock = threading.Lock()


def render_part(template: str, **context) -> str:
    """Render a part without the per-request context processors (the signed-in user, the bell,
    the demo banner): a part shows the same to every reader, and a page that renders three parts
    would otherwise query the bell three times."""
    return current_app.jinja_env.get_template(template).render(**context)


def cached_fragments(
    name: str, depends: tuple[str, ...], key, render: Callable[[], dict[str, str]]
) -> dict[str, Markup]:
    """{part: HTML} from ``render()``, through the figure cache under (``name``, ``key``)."""
    full_key = ("fragment", name, frozen(key))
    parts = cached(db.session, depends, full_key, lambda: _shared(db.session, depends, full_key, render))
    return {part: Markup(html) for part, html in parts.items()}


def _store_directory() -> Path | None:
    configured = current_app.config.get("FRAGMENT_CACHE_DIR")
    return Path(configured) if configured else None


def _shared(session, depends: tuple[str, ...], key, render: Callable[[], dict[str, str]]) -> dict[str, str]:
    """{part: HTML}: from the host's store when another process rendered it under the same
    tokens, else rendered here and stored for the others."""
    directory = _store_directory()
    keyed = versioned_key(session, depends, key) if directory is not None else None
    if keyed is None:
        return render()
    full_key, versions = keyed
    # repr is stable across processes for a frozen key (str, int, date, Decimal, tuples).
    digest = hashlib.sha256(repr(full_key).encode("utf-8")).hexdigest()
    path = directory / digest[:2] / f"{digest}.json"
    stored = _read(path)
    if stored is not None:
        return stored
    parts = render()
    if tokens(session) is versions:  # the transaction did not write meanwhile
        _write(directory, path, parts)
    return parts


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
