"""Self-use (自用): the periods a unit is the owner's own — not leasable, not to let — as read.

Self-use is dated like a lease: it starts on a day (or has always been, for a unit marked so
since it exists) and ends on its last day, or stays open. A unit's status on a past date reads
these periods, so marking a unit self-use today leaves every earlier month as it was. Recording
and ending a period are unit operations (``crm.services.unit_ops``); ``check_not_self_use``
keeps a lease off a self-use day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from crm.models import UnitSelfUse
from crm.services.errors import DomainError


def periods_of(session, unit_ids) -> dict[int, list[UnitSelfUse]]:
    """Each unit's self-use periods, earliest first, in one query."""
    ids = sorted(set(unit_ids))
    return by_unit(session.scalars(select(UnitSelfUse).where(UnitSelfUse.unit_id.in_(ids))) if ids else ())


def by_unit(periods) -> dict[int, list]:
    """Self-use periods (rows with ``unit_id`` and ``start_date``) by unit, earliest first."""
    found = defaultdict(list)
    for period in periods:
        found[period.unit_id].append(period)
    for listed in found.values():
        listed.sort(key=lambda p: p.start_date or date.min)
    return found


def period_on(periods, day: date) -> UnitSelfUse | None:
    return next((p for p in periods if p.covers(day)), None)


def meets(period: UnitSelfUse, first: date, last: date | None) -> bool:
    """Whether the period has a day in ``first``..``last`` (None: open)."""
    return (period.end_date is None or period.end_date >= first) and (
        last is None or period.start_date is None or period.start_date <= last
    )


def describe(period: UnitSelfUse) -> str:
    """The period as a reader says it: "2026-10-16起", "2026-10-16 至 2026-12-31", "建档起"."""
    start = f"{period.start_date}" if period.start_date else "建档"
    return f"{start} 至 {period.end_date}" if period.end_date else f"{start}起"


def note(period: UnitSelfUse) -> str:
    """The period in brackets after 自用 in a message; nothing for one that has always been."""
    return "" if period.start_date is None and period.end_date is None else f"（{describe(period)}）"


def check_not_self_use(
    session, units, first: date, last: date | None, field: str = "units", what: str = "出租"
) -> None:
    """Refuse ``units`` when one of them is self-use on some day of ``first``..``last``."""
    periods = periods_of(session, [u.id for u in units])
    for unit in units:
        for period in periods.get(unit.id, []):
            if meets(period, first, last):
                raise DomainError(f"单元 {unit.label} 为自用{note(period)}，不能{what}", field=field)
