"""Occupancy on a date, per building: leasable, occupied and vacant area, tenants.

Definitions (DESIGN.md): a unit counts on day D when it exists then (``active_from`` ≤ D, not
retired on or before D). Leasable area is the area of such units that are not self-use on D (no
self-use period covers D). A lease
is active on D when start ≤ D, no move-out on or before D, and (no end or D ≤ end); a unit under
an active lease is occupied. Because the lease service guarantees at most one active lease per
unit and day, summing unit areas over active leases never counts a unit twice.

Tenants (入驻企业) of a building are the companies with an active lease there; of several
buildings, the distinct companies among theirs — a company in two buildings is one tenant of the
district. Sums of per-building counts are therefore never a district's tenants: the district
reads the companies themselves (``tenant_sets_on_days``; frozen months keep them on their
snapshots, see ``crm.services.snapshots.district_tenants``).

A tenant is registered (属地注册) on D by the dated flag history (``district_flags.flag_on``), so
a past month's 属地注册率 does not move when a company registers today.

Everything is aggregated in SQL, for any number of days in one query, so a 24-month chart costs
the same number of queries as a single figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select, union_all

from crm.cache import derived
from crm.cache.versions import OCCUPANCY
from crm.models import Company, Lease, Unit, UnitSelfUse, lease_units
from crm.services.district_flags import flag_on

ZERO = Decimal("0")


@dataclass
class Occupancy:
    """One building's occupancy figures on one day."""

    leasable_area: Decimal = ZERO
    occupied_area: Decimal = ZERO
    tenants: int = 0
    registered_tenants: int = 0
    registered_area: Decimal = ZERO
    confirmed: bool = False
    extra: dict = field(default_factory=dict)
    # The tenants themselves (company ids), when asked for: what a snapshot freezes so that the
    # district can count each company once for a confirmed month too.
    tenant_ids: tuple[int, ...] | None = None
    registered_ids: tuple[int, ...] | None = None

    @property
    def vacant_area(self) -> Decimal:
        return max(self.leasable_area - self.occupied_area, ZERO)

    @property
    def occupancy(self) -> float | None:
        """Occupied ÷ leasable as a fraction, never above 1; None without leasable area."""
        if self.leasable_area <= 0:
            return None
        return min(float(self.occupied_area / self.leasable_area), 1.0)

    def add_areas(self, other: "Occupancy") -> None:
        """Add another building's areas (tenants are not additive: see the module docstring)."""
        self.leasable_area += other.leasable_area
        self.occupied_area += other.occupied_area
        self.registered_area += other.registered_area


def _days_table(days: Iterable[date]):
    selects = [select(literal(day, Date).label("day")) for day in sorted(set(days))]
    return (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("days")


def unit_exists_on(day_col):
    return and_(
        or_(Unit.active_from.is_(None), Unit.active_from <= day_col),
        or_(Unit.retired_on.is_(None), Unit.retired_on > day_col),
    )


def self_use_between(first, last, unit_id=Unit.id):
    """SQL: a self-use period of the unit meets the days ``first``..``last`` (None: open)."""
    conditions = [UnitSelfUse.unit_id == unit_id, or_(UnitSelfUse.end_date.is_(None), UnitSelfUse.end_date >= first)]
    if last is not None:
        conditions.append(or_(UnitSelfUse.start_date.is_(None), UnitSelfUse.start_date <= last))
    return exists().where(*conditions)


def self_use_on(day_col, unit_id=Unit.id):
    """SQL: the unit is self-use on ``day_col`` (a date or a column)."""
    return self_use_between(day_col, day_col, unit_id)


def unit_counts_on(day_col):
    """The unit counts toward leasable area on the day: it exists then and is not self-use. The
    occupancy figures and the month bridge both read this, so they cannot disagree."""
    return and_(unit_exists_on(day_col), ~self_use_on(day_col))


def lease_active_on(day_col):
    return and_(
        Lease.start_date <= day_col,
        or_(Lease.moved_out_on.is_(None), Lease.moved_out_on > day_col),
        or_(Lease.end_date.is_(None), Lease.end_date >= day_col),
    )


def lease_lapsed_on(day_col):
    """到期未处置 on the day: the end date has passed and no move-out is recorded (a renewal
    would have moved the end date)."""
    return and_(Lease.end_date < day_col, Lease.moved_out_on.is_(None))


def _scoped(stmt, column, building_ids):
    return stmt if building_ids is None else stmt.where(column.in_(building_ids))


def occupancy_on_days(
    session, days: Iterable[date], building_ids=None, with_tenants: bool = False
) -> dict[tuple[int, date], Occupancy]:
    """Figures for every (building, day); buildings without units are absent (see ``get``).
    ``with_tenants`` also lists the tenants (``Occupancy.tenant_ids``), as a snapshot keeps them."""
    days = list(days)
    if not days:
        return {}
    days_t = _days_table(days)
    day = days_t.c.day

    leasable = _scoped(
        select(Unit.building_id, day, func.sum(Unit.area))
        .join(days_t, unit_counts_on(day))
        .group_by(Unit.building_id, day),
        Unit.building_id,
        building_ids,
    )
    registered = flag_on("registered_in_district", day)
    occupied = _occupying(
        select(
            Unit.building_id,
            day,
            func.sum(Unit.area),
            func.sum(case((registered, Unit.area), else_=0)),
            func.count(func.distinct(Lease.company_id)),
            func.count(func.distinct(case((registered, Lease.company_id)))),
        ),
        days_t,
        building_ids,
    ).group_by(Unit.building_id, day)

    result: dict[tuple[int, date], Occupancy] = {}
    for building_id, on, area in session.execute(leasable):
        result[(building_id, _as_date(on))] = Occupancy(leasable_area=Decimal(area))
    for building_id, on, area, reg_area, tenants, reg_tenants in session.execute(occupied):
        figures = result.setdefault((building_id, _as_date(on)), Occupancy())
        figures.occupied_area = Decimal(area)
        figures.registered_area = Decimal(reg_area)
        figures.tenants = tenants
        figures.registered_tenants = reg_tenants
    if with_tenants:
        sets = tenant_sets_on_days(session, days, building_ids)
        for key, figures in result.items():
            figures.tenant_ids, figures.registered_ids = sets.get(key, ((), ()))
    return result


def _occupying(stmt, days_t, building_ids):
    """``stmt`` over the (lease, unit, company) rows that occupy a unit on each day of ``days_t``:
    the one definition the area figures and the tenant lists share."""
    day = days_t.c.day
    return _scoped(
        stmt.select_from(Lease)
        .join(days_t, lease_active_on(day))
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, and_(Unit.id == lease_units.c.unit_id, unit_counts_on(day)))
        .join(Company, Company.id == Lease.company_id),
        Lease.building_id,
        building_ids,  # a lease's units are all in its building; lets the index work
    )


def tenant_sets_on_days(
    session, days: Iterable[date], building_ids=None
) -> dict[tuple[int, date], tuple[tuple[int, ...], tuple[int, ...]]]:
    """{(building, day): (tenant company ids, registered ones)}, sorted — the companies the
    tenant counts of ``occupancy_on_days`` count."""
    days = list(days)
    if not days:
        return {}
    days_t = _days_table(days)
    stmt = _occupying(
        select(
            Unit.building_id, days_t.c.day, Lease.company_id, flag_on("registered_in_district", days_t.c.day)
        ).distinct(),
        days_t,
        building_ids,
    )
    found: dict[tuple[int, date], tuple[set[int], set[int]]] = {}
    for building_id, on, company_id, registered in session.execute(stmt):
        ids, registered_ids = found.setdefault((building_id, _as_date(on)), (set(), set()))
        ids.add(company_id)
        if registered:
            registered_ids.add(company_id)
    return {key: (tuple(sorted(ids)), tuple(sorted(reg))) for key, (ids, reg) in found.items()}


@derived(OCCUPANCY, shared=True)  # a manager's building page asks for today's figures on every view
def occupancy_on(session, day: date, building_ids=None) -> dict[int, Occupancy]:
    """{building: its figures on ``day``} (shared, read-only: see ``crm.cache``)."""
    return {bid: occ for (bid, _), occ in occupancy_on_days(session, [day], building_ids).items()}


def _as_date(value) -> date:
    # SQLite hands the literal day back as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def registered_rate(registered: int, tenants: int) -> float | None:
    return registered / tenants if tenants else None
