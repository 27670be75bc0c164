"""Tax sums per building and period, tiers, and the per-building monthly roll-up.

All sums read ``building_tax_months``; ``refresh_rollup`` rewrites it from the tax records for
the periods a write touched, in one INSERT … SELECT so the work stays in the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import joinedload

from crm.cache import derived
from crm.cache.versions import TAX
from crm.formats import month_span, year_label
from crm.models import BuildingTaxMonth, TaxRecord
from crm.models.setting import all_settings
from crm.services import periods as P

ZERO = Decimal("0")
TIER_ORDER = ("yi", "wuqianwan", "qianwan")


@dataclass(frozen=True)
class TierRules:
    basis: str  # "total" (全口径) or "district" (区级)
    thresholds: dict[str, Decimal]

    def tier_of(self, amount: Decimal | None) -> str | None:
        if amount is None:
            return None
        for tier in TIER_ORDER:
            if amount >= self.thresholds[tier]:
                return tier
        return None


def tier_rules(session) -> TierRules:
    settings = all_settings(session)
    return TierRules(
        basis=settings["tier_basis"],
        thresholds={tier: Decimal(settings[f"tier_{tier}"]) for tier in TIER_ORDER},
    )


def refresh_rollup(session, periods=None) -> None:
    """Rebuild the roll-up rows of ``periods`` (all when None) from the tax records."""
    clear = delete(BuildingTaxMonth)
    source = (
        select(
            TaxRecord.building_id,
            TaxRecord.period,
            func.sum(TaxRecord.total_tax),
            func.coalesce(func.sum(TaxRecord.district_tax), 0),
            func.count(),
        )
        .where(TaxRecord.building_id.is_not(None))
        .group_by(TaxRecord.building_id, TaxRecord.period)
    )
    if periods is not None:
        periods = sorted(set(periods))
        clear = clear.where(BuildingTaxMonth.period.in_(periods))
        source = source.where(TaxRecord.period.in_(periods))
    session.execute(clear)
    session.execute(
        insert(BuildingTaxMonth).from_select(["building_id", "period", "total_tax", "district_tax", "records"], source)
    )
    # Both statements change the tax token (crm/cache/versions.py): every figure derived from
    # the roll-up is stale from here on.


def _amount(basis: str):
    return BuildingTaxMonth.district_tax if basis == "district" else BuildingTaxMonth.total_tax


def _scoped(stmt, building_ids):
    return stmt if building_ids is None else stmt.where(BuildingTaxMonth.building_id.in_(building_ids))


def tax_by_building(session, first: str, last: str, building_ids=None, basis="total") -> dict[int, Decimal]:
    """Σ tax per building over the periods first..last inclusive."""
    stmt = _scoped(
        select(BuildingTaxMonth.building_id, func.sum(_amount(basis)))
        .where(BuildingTaxMonth.period.between(first, last))
        .group_by(BuildingTaxMonth.building_id),
        building_ids,
    )
    return {bid: Decimal(total) for bid, total in session.execute(stmt)}


def tax_by_building_and_period(session, first: str, last: str, building_ids=None, basis="total"):
    """{building_id: {period: amount}} over first..last — one query for every window a page needs."""
    stmt = _scoped(
        select(BuildingTaxMonth.building_id, BuildingTaxMonth.period, _amount(basis)).where(
            BuildingTaxMonth.period.between(first, last)
        ),
        building_ids,
    )
    table: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for bid, period, amount in session.execute(stmt):
        table[bid][period] = Decimal(amount)
    return table


@derived(TAX, shared=True)  # every building's sums, asked by each building page: kept until tax changes
def tax_windows(session, windows: dict[str, tuple[str, str]], building_ids=None, basis="total"):
    """{building_id: {window name: Σ tax over its first..last periods}}, summed in SQL.

    One row per building however many months the windows span, so a page over hundreds of
    buildings does not pull every building-month into Python.
    """
    amount = _amount(basis)
    first = min(w[0] for w in windows.values())
    last = max(w[1] for w in windows.values())
    sums = [
        func.coalesce(func.sum(case((BuildingTaxMonth.period.between(lo, hi), amount), else_=0)), 0).label(name)
        for name, (lo, hi) in windows.items()
    ]
    stmt = _scoped(
        select(BuildingTaxMonth.building_id, *sums)
        .where(BuildingTaxMonth.period.between(first, last))
        .group_by(BuildingTaxMonth.building_id),
        building_ids,
    )
    return {row[0]: dict(zip(windows, (Decimal(v) for v in row[1:]))) for row in session.execute(stmt)}


def window_sum(by_period: dict[str, Decimal], first: str, last: str) -> Decimal:
    return sum((amount for period, amount in by_period.items() if first <= period <= last), ZERO)


def monthly_totals(session, periods: list[str], building_ids=None, basis="total") -> list[Decimal]:
    """District (or scoped) tax per period, in the order given; months without tax are 0."""
    stmt = _scoped(
        select(BuildingTaxMonth.period, func.sum(_amount(basis)))
        .where(BuildingTaxMonth.period.in_(periods))
        .group_by(BuildingTaxMonth.period),
        building_ids,
    )
    totals = {period: Decimal(total) for period, total in session.execute(stmt)}
    return [totals.get(period, ZERO) for period in periods]


def latest_tax_period(session) -> str | None:
    return session.scalar(select(func.max(BuildingTaxMonth.period)))


def tax_data_span(session) -> tuple[str | None, str | None]:
    """The first and the latest month holding any building's tax."""
    first, last = session.execute(select(func.min(BuildingTaxMonth.period), func.max(BuildingTaxMonth.period))).one()
    return first, last


def year_months(session, year: int, until: str | None = None) -> tuple[int, int]:
    """The months of ``year`` (first, last) a year total covers: from the first month with tax
    data, to ``until`` and to the latest month with data — (1, 12) for a whole year. A year the
    data does not reach at all counts as whole (its total is simply zero)."""
    first_data, last_data = tax_data_span(session)
    ends = [p for p in (until, last_data) if p]
    last_period = min(ends) if ends else None
    first = P.split(first_data)[1] if first_data and P.split(first_data)[0] == year else 1
    last = P.split(last_period)[1] if last_period and P.split(last_period)[0] == year else 12
    return (first, last) if first <= last else (1, 12)


def previous_year_heading(session, year: int) -> str:
    """How a table heads the previous year's total (year − 1): 上年全年, or 上年（11–12月） when
    the tax data covers only part of it."""
    first, last = year_months(session, year - 1)
    return "上年全年" if (first, last) == (1, 12) else f"上年（{month_span(first, last)}）"


def tax_year_label(session, year: int, until: str | None = None) -> str:
    """A year total's label: 2025年, or 2023年（12月） / 2026年（1–10月） for part of a year."""
    return year_label(year, *year_months(session, year, until))


def _attributed_to(stmt, building_ids):
    """Only the records attributed to ``building_ids`` (None: every record, attributed or not)."""
    return stmt if building_ids is None else stmt.where(TaxRecord.building_id.in_(building_ids))


def company_monthly_tax(session, company_id: int, building_ids=None) -> list[TaxRecord]:
    """The company's tax records, newest first; with ``building_ids``, those attributed there."""
    stmt = (
        select(TaxRecord)
        .where(TaxRecord.company_id == company_id)
        .options(joinedload(TaxRecord.building))
        .order_by(TaxRecord.period.desc())
    )
    return list(session.scalars(_attributed_to(stmt, building_ids)))


def company_tax_totals(session, company_ids, first: str, last: str, building_ids=None) -> dict[int, Decimal]:
    """Σ total tax per company over first..last, e.g. the tenants' last 12 months; with
    ``building_ids``, of the records attributed there."""
    if not company_ids:
        return {}
    stmt = (
        select(TaxRecord.company_id, func.sum(TaxRecord.total_tax))
        .where(TaxRecord.company_id.in_(company_ids), TaxRecord.period.between(first, last))
        .group_by(TaxRecord.company_id)
    )
    return {cid: Decimal(total) for cid, total in session.execute(_attributed_to(stmt, building_ids))}
