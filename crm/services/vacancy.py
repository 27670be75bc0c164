"""How long a vacant unit has been empty, for colour-coding the stacking plan.

A unit has been vacant since the day after its last lease stopped being active (its end, or the
day before its move-out), or since it came into use when it was never let; a unit vacant since
before any record is "long vacant" (``None`` days).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from crm.models import Lease, lease_units

# Upper bounds (months) of the colour bands; beyond the last a unit is long vacant.
BANDS = (3, 6, 12)


def vacant_since(session, building_id: int, unit_states, day: date) -> dict[int, date | None]:
    """{unit id: first vacant day} for the vacant units among ``unit_states`` — one query."""
    vacant = [s.unit for s in unit_states if s.status == "vacant"]
    if not vacant:
        return {}
    rows = session.execute(
        select(lease_units.c.unit_id, Lease.start_date, Lease.end_date, Lease.moved_out_on)
        .join(Lease, Lease.id == lease_units.c.lease_id)
        .where(Lease.building_id == building_id, Lease.start_date <= day)
    )
    last_let: dict[int, date] = {}
    for unit_id, start, end, moved_out in rows:
        last = end or date.max
        if moved_out is not None:
            last = min(last, moved_out - timedelta(days=1))
        if last < day and last >= start:
            last_let[unit_id] = max(last_let.get(unit_id, last), last)
    since = {}
    for unit in vacant:
        if unit.id in last_let:
            since[unit.id] = last_let[unit.id] + timedelta(days=1)
        else:
            since[unit.id] = unit.active_from
    return since


def months_between(first: date, day: date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month - (1 if day.day < first.day else 0)


def band(first: date | None, day: date) -> str:
    """CSS band of a vacant unit: vac-3 (< 3 months), vac-6, vac-12, vac-long (≥ 12 or unknown)."""
    if first is None:
        return "vac-long"
    months = months_between(first, day)
    for limit in BANDS:
        if months < limit:
            return f"vac-{limit}"
    return "vac-long"
