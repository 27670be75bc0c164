"""Sums over the leads brought up to date from the journal of lead changes, not counted again.

A figure summed over every lead (a month's pipeline as of its end, today's deadline flags) costs
a pass over every lead, however few changed. ``summed_by_lead`` keeps, per process, each lead's
part — what it adds to which groups — and the sums per group, with the journal row they were
counted up to, and brings them up to date by counting again only the leads journalled since
(``crm.models.version``: every pipeline bump appends the leads it touched, with the new token):
each one's old part is taken out of the sums and its new part put in. Counts and Decimal sums
are exact, so the sums are those of a count of every lead. ``changes_since`` says which leads:

* **the leads journalled after the kept row**, when that row is still there with its token and
  the journal's last row carries the pipeline's current token;
* **every lead** (``ALL``) otherwise: nothing kept yet; a row saying "any lead" (a bulk
  statement, an import); the kept row gone or another token under its id (a rollback, a wiped
  database); a token the journal never gave (a write that bypassed the journal); or more leads
  than a recount of all would read.

So a kept figure is wrong only if a write escaped both the ORM events and ``bump`` — which would
make every cached figure wrong. Entries live per process, the most recent ``KEEP`` of them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import column, select, table

from crm.cache.memo import remembered
from crm.cache.versions import PIPELINE, has_pending_changes

KEEP = 8  # moments kept per process: a dashboard's month, the API's and briefings' few others
MOST_LEADS = 500  # beyond this many changed leads since the kept row, recounting all is as cheap
ALL = None

_journal = table("lead_changes", column("id"), column("lead_id"), column("token"))
_versions = table("data_versions", column("name"), column("token"))
_kept: OrderedDict = OrderedDict()  # key -> (value, mark)
_lock = threading.Lock()


# What one lead adds: (which of the sums, the group, the values added — a count of leads first).
Contribution = tuple[int, tuple, tuple]


@dataclass(frozen=True)
class Summed:
    """Each lead's part ({lead id: its contributions}) and ``sums``: per kind of group, {group:
    the values its leads add up to}. A group left with no lead is not there, as a count of every
    lead would not have it."""

    parts: dict[int, tuple[Contribution, ...]]
    sums: tuple[dict[tuple, tuple], ...]


def summed_by_lead(session, key, count: Callable[[list[int] | None], dict], kinds: int) -> Summed:
    """The sums kept for ``key`` in this database, brought up to date: ``count(lead_ids)`` gives
    {lead id: its contributions} of the leads asked (None: every lead; a lead that no longer
    counts is absent). With unsaved changes in the session (not journalled yet) everything is
    counted and nothing kept."""
    if has_pending_changes(session):
        return _summed(count(None), kinds)
    kept, mark = recall(session, key)
    now, changed = changes_since(session, mark if kept is not None else None)
    if changed is ALL:
        summed = _summed(count(None), kinds)
    elif changed:
        summed = _updated(kept, count(sorted(changed)), changed)
    else:
        summed = kept
    keep(session, key, summed, now, mark)
    return summed


def _summed(parts: dict, kinds: int) -> Summed:
    summed = Summed(parts, tuple({} for _ in range(kinds)))
    for part in parts.values():
        _add(summed.sums, part, 1)
    return summed


def _updated(kept: Summed, recounted: dict, lead_ids) -> Summed:
    """``kept`` with the parts of ``lead_ids`` replaced by their ``recounted`` ones. A new value:
    what is kept may be read by another thread meanwhile."""
    summed = Summed(dict(kept.parts), tuple(dict(sums) for sums in kept.sums))
    for lead_id in lead_ids:
        old = summed.parts.pop(lead_id, None)
        if old is not None:
            _add(summed.sums, old, -1)
        new = recounted.get(lead_id)
        if new is not None:
            summed.parts[lead_id] = new
            _add(summed.sums, new, 1)
    return summed


def _add(sums: tuple[dict, ...], part: tuple[Contribution, ...], sign: int) -> None:
    for kind, group, values in part:
        groups = sums[kind]
        before = groups.get(group)
        after = values if before is None and sign > 0 else tuple(a + sign * b for a, b in zip(before, values))
        if after[0]:
            groups[group] = after
        else:
            groups.pop(group, None)


@dataclass(frozen=True)
class Mark:
    """The journal row a figure was counted up to: its id and token (which tell a rolled-back
    or wiped row from the one counted)."""

    id: int
    token: str


def changes_since(session, mark: Mark | None) -> tuple[Mark | None, set[int] | None]:
    """(the mark to keep a figure counted now under — None: it cannot be kept —, the ids of the
    leads changed after ``mark``, or ``ALL``). The journal and the pipeline's current token are
    read in one statement, so they agree; reading them before the leads means the leads are at
    least as new as the mark (a later write is counted again, never missed)."""
    current = select(_versions.c.token).where(_versions.c.name == PIPELINE).scalar_subquery()
    columns = (_journal.c.id, _journal.c.lead_id, _journal.c.token, current)
    if mark is not None:
        rows = session.execute(
            select(*columns).where(_journal.c.id >= mark.id).order_by(_journal.c.id).limit(MOST_LEADS + 2)
        ).all()
        if rows and len(rows) <= MOST_LEADS + 1 and Mark(rows[0].id, rows[0].token) == mark:
            last, leads = _last_mark(rows), {row.lead_id for row in rows[1:]}
            return last, (ALL if last is None or None in leads else leads)
    return _last_mark(session.execute(select(*columns).order_by(_journal.c.id.desc()).limit(1)).all()), ALL


def _last_mark(rows) -> Mark | None:
    """The last row's mark, or None when there is none or it is not the pipeline's current token
    (a write bypassed the journal: nothing counted now can be kept under a mark)."""
    if not rows or rows[-1].token != rows[-1][3]:
        return None
    return Mark(rows[-1].id, rows[-1].token)


def recall(session, key):
    """(the value kept for ``key`` in this database, its mark), or (None, None)."""
    full_key = (_database(session), key)
    with _lock:
        found = _kept.get(full_key)
        if found is not None:
            _kept.move_to_end(full_key)
            return found
    return None, None


def keep(session, key, value, mark: Mark | None, counted_from: Mark | None) -> None:
    """Keep ``value`` counted up to ``mark`` (None: it cannot be kept). Another thread may have
    kept a newer one meanwhile: the one counted from what is kept now, or further, wins."""
    if mark is None:
        return
    full_key = (_database(session), key)
    with _lock:
        found = _kept.get(full_key)
        if found is None or found[1] == counted_from or found[1] is None or found[1].id <= mark.id:
            _kept[full_key] = (value, mark)
            _kept.move_to_end(full_key)
        while len(_kept) > KEEP:
            _kept.popitem(last=False)


def forget_all() -> None:
    with _lock:
        _kept.clear()


def _database(session) -> str:
    return remembered(session, "database_url", lambda: str(session.get_bind().url))
