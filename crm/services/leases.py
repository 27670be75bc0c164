"""Leases: the active ones on a day, creating one without double-letting a unit, and finding them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.models import Building, Company, Lease, Unit, lease_units
from crm.services.errors import DomainError
from crm.services.occupancy import lease_active_on
from crm.services.self_use import check_not_self_use

FOREVER = date.max


def last_day(end: date | None, moved_out_on: date | None) -> date:
    """The last day a lease is active: its end, or the day before the move-out if earlier."""
    last = end or FOREVER
    if moved_out_on is not None:
        last = min(last, moved_out_on - timedelta(days=1))
    return last


def last_active_day(lease: Lease) -> date:
    return last_day(lease.end_date, lease.moved_out_on)


def active_leases(session, building_id: int, day: date, with_units: bool = True) -> list[Lease]:
    # The company joined in (one per lease); the units, many per lease, in a second query.
    options = [joinedload(Lease.company)] + ([selectinload(Lease.units)] if with_units else [])
    stmt = (
        select(Lease)
        .where(Lease.building_id == building_id, lease_active_on(day))
        .options(*options)
        .order_by(Lease.start_date)
    )
    return list(session.scalars(stmt))


@dataclass
class Clash:
    unit: Unit
    lease: Lease


def clashes(session, units: list[Unit], start: date, end: date | None, ignore_lease_id=None) -> list[Clash]:
    """Existing leases that would be active on some day of [start, end] on any of ``units``."""
    unit_ids = [u.id for u in units]
    stmt = (
        select(Lease, lease_units.c.unit_id)
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .where(lease_units.c.unit_id.in_(unit_ids), Lease.start_date <= (end or FOREVER))
    )
    by_id = {u.id: u for u in units}
    found = []
    for lease, unit_id in session.execute(stmt):
        if (
            lease.id != ignore_lease_id
            and last_active_day(lease) >= start
            and lease.start_date <= last_active_day(lease)
        ):
            found.append(Clash(by_id[unit_id], lease))
    return found


def create_lease(
    session,
    company: Company,
    building: Building,
    units: list[Unit],
    start: date,
    end: date | None = None,
    moved_out_on: date | None = None,
    move_out_reason: str | None = None,
    self_use_checked: bool = False,
) -> Lease:
    """A lease of ``units`` from ``start`` (an imported past lease may come with its move-out).

    ``self_use_checked``: the caller has already refused self-use units in this transaction (an
    import's plan, made in the confirming transaction), which spares a query per lease."""
    if not units:
        raise DomainError("请至少选择一个单元", field="units")
    units = list({unit.id: unit for unit in units}.values())  # the same unit picked twice is one unit
    if end is not None and end < start:
        raise DomainError(f"租约结束日期 {end} 早于开始日期 {start}", field="end_date")
    for unit in units:
        if unit.building_id != building.id:
            raise DomainError(f"单元 {unit.label} 不属于 {building.name}", field="units")
    last = last_day(end, moved_out_on)
    last = None if last == FOREVER else last
    if not self_use_checked:
        check_not_self_use(session, units, start, last)
    found = clashes(session, units, start, last)
    if found:
        first = found[0]
        raise DomainError(
            f"单元 {first.unit.label} 在该期间已有有效租约（{first.lease.company.name}，"
            f"{first.lease.start_date} 起），同一单元同一天只能有一份有效租约",
            field="units",
        )
    lease = Lease(
        company=company,
        building=building,
        start_date=start,
        end_date=end,
        moved_out_on=moved_out_on,
        move_out_reason=move_out_reason,
        units=list(units),
    )
    session.add(lease)
    session.flush()
    return lease


@dataclass
class LeaseFilters:
    building_id: int | None = None
    company_id: int | None = None
    active_on: date | None = None
    building_ids: set[int] | None = None  # a manager's scope; None: every building


def search_leases(session, filters: LeaseFilters, page: int = 1, per_page: int = 50) -> tuple[list[Lease], int]:
    """The leases matching ``filters``, newest start first, one page of them and the total."""
    stmt = select(Lease)
    if filters.building_id is not None:
        stmt = stmt.where(Lease.building_id == filters.building_id)
    if filters.company_id is not None:
        stmt = stmt.where(Lease.company_id == filters.company_id)
    if filters.active_on is not None:
        stmt = stmt.where(lease_active_on(filters.active_on))
    if filters.building_ids is not None:
        stmt = stmt.where(Lease.building_id.in_(filters.building_ids))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(
        stmt.options(selectinload(Lease.company), selectinload(Lease.building), selectinload(Lease.units))
        .order_by(Lease.start_date.desc(), Lease.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(rows), total
