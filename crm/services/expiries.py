"""Leases about to end (租约到期), with the tenant's tax, so a large taxpayer about to leave
stands out; and leases already past their end with no move-out recorded — 到期未处置 (lapsed),
to be renewed, moved out or made open-ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.cache import derived
from crm.cache.versions import OCCUPANCY
from crm.models import Lease
from crm.services import periods as P
from crm.services.occupancy import lease_lapsed_on
from crm.services.tax import company_tax_totals

WINDOWS = (30, 90, 180)
DEFAULT_WINDOW = 90
# A tenant paying at least this much tax a year is highlighted (the 千万 line).
LARGE_TAXPAYER = Decimal("10000000")


@dataclass
class Expiry:
    lease: Lease
    days_left: int  # negative: past its end
    tax_12m: Decimal | None  # None: not asked (a list that shows no tax)

    @property
    def area(self) -> Decimal:
        return sum((u.area for u in self.lease.units), Decimal(0))

    @property
    def large_taxpayer(self) -> bool:
        return self.tax_12m >= LARGE_TAXPAYER

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def window_days(raw) -> int:
    try:
        days = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_WINDOW
    return days if days in WINDOWS else DEFAULT_WINDOW


def tax_months(today: date) -> tuple[str, str]:
    """The 12 complete months before today."""
    last = P.last_complete_month(today)
    return P.shift(last, -11), last


def _scoped(stmt, building_ids):
    return stmt if building_ids is None else stmt.where(Lease.building_id.in_(building_ids))


def tenant_tax(session, leases: list[Lease], today: date, tax_of=None) -> dict[int, Decimal]:
    """Each tenant's tax of the 12 months before today, by company; with ``tax_of``, only the tax
    attributed to those buildings (what a building manager may see of it)."""
    first, last = tax_months(today)
    return company_tax_totals(session, list({lease.company_id for lease in leases}), first, last, tax_of)


def _with_tax(session, leases: list[Lease], today: date, tax_of) -> list[Expiry]:
    taxes = tenant_tax(session, leases, today, tax_of)
    return [Expiry(lease, (lease.end_date - today).days, taxes.get(lease.company_id, Decimal(0))) for lease in leases]


def _loaded(stmt):
    # Tenant and building join the leases' own query (one row each); only the units need a second.
    return stmt.options(selectinload(Lease.units), joinedload(Lease.company), joinedload(Lease.building))


def _expiring_where(today: date, days: int):
    return (
        Lease.start_date <= today,
        Lease.end_date.between(today, today + timedelta(days=days)),
        (Lease.moved_out_on.is_(None)) | (Lease.moved_out_on > today),
    )


def expiring(session, today: date, days: int, building_ids=None, tax_of=None) -> list[Expiry]:
    """Leases (of ``building_ids``; None: all) active today whose end falls within ``days`` days,
    soonest first, with their tenant's tax (see ``tenant_tax`` for ``tax_of``)."""
    stmt = _scoped(select(Lease).where(*_expiring_where(today, days)), building_ids)
    leases = list(session.scalars(_loaded(stmt).order_by(Lease.end_date, Lease.id)))
    return _with_tax(session, leases, today, tax_of)


@derived(OCCUPANCY)  # a home page's tiles, asked by every manager's home
def count_expiring(session, today: date, days: int, building_ids=None) -> int:
    """How many leases ``expiring`` would list: one count, for a home page's tile."""
    return session.scalar(_scoped(select(func.count(Lease.id)).where(*_expiring_where(today, days)), building_ids))


def overdue(
    session, today: date, building_ids=None, tax_of=None, limit: int | None = None, with_tax: bool = True
) -> list[Expiry]:
    """到期未处置: leases past their end with no move-out, longest past first — to be renewed,
    moved out or made open-ended (the first ``limit`` of them, when given); ``with_tax`` False
    for a list that shows no tax (the tenants' sums are most of the cost)."""
    stmt = _scoped(select(Lease).where(lease_lapsed_on(today)), building_ids)
    leases = list(session.scalars(_loaded(stmt).order_by(Lease.end_date, Lease.id).limit(limit)))
    if not with_tax:
        return [Expiry(lease, (lease.end_date - today).days, None) for lease in leases]
    return _with_tax(session, leases, today, tax_of)


@derived(OCCUPANCY)
def count_overdue(session, today: date, building_ids=None) -> int:
    """How many leases ``overdue`` would list."""
    return session.scalar(_scoped(select(func.count(Lease.id)).where(lease_lapsed_on(today)), building_ids))
