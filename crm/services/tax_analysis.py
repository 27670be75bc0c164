"""Tax pages: one building's tax (monthly, annual, per m², top tenants, expiring leases) and the
district's (buildings by year and tier, tier movements, concentration, industries, streets).

Everything is summed in SQL — ``building_tax_months`` for building sums, ``tax_records`` grouped
by company where a company's share is needed — so a page costs the same few queries at any
scale. Amounts follow the basis setting (全口径 or 区级) wherever a tier is involved; the building
page shows both bases side by side.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, null, select, union_all

from crm.formats import year_label
from crm.models import Building, BuildingTaxMonth, Company, Lease, TaxRecord
from crm.models.choices import INDUSTRY_GROUPS, STREETS
from crm.services import periods as P
from crm.services.errors import NotFound
from crm.services.figures import BuildingFigures, building_figures
from crm.services.leases import active_leases
from crm.services.tax import TIER_ORDER, ZERO, TierRules, tax_year_label, tier_rules, year_months

TOP_TENANTS = 20
TOP_COMPANIES = 10
TIER_KEYS = (*TIER_ORDER, None)  # None: below every threshold


def _share(part: Decimal, whole: Decimal) -> float | None:
    return float(part / whole) if whole > 0 else None


def _change(now: Decimal, before: Decimal) -> float | None:
    return float((now - before) / before) if before > 0 else None


def record_amount(basis: str):
    """A tax record's amount in the basis; a record without 区级 counts 0 there."""
    return func.coalesce(TaxRecord.district_tax, 0) if basis == "district" else TaxRecord.total_tax


# --------------------------------------------------------------------------------------------
# One building


@dataclass
class MonthTax:
    period: str
    total: Decimal
    district: Decimal
    total_prev: Decimal  # the same month a year earlier, 全口径

    @property
    def yoy(self) -> float | None:
        return _change(self.total, self.total_prev)


@dataclass
class YearTax:
    year: int
    total: Decimal
    district: Decimal
    first_month: int  # the months of the year the data covers: 1 and 12 for a whole year
    last_month: int
    tier: str | None
    yoy: float | None  # against the same months of the previous year

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1

    @property
    def complete(self) -> bool:
        return self.months == 12

    @property
    def label(self) -> str:
        """2025年; 2023年（12月） or 2026年（1–10月） for the part of a year the data covers."""
        return year_label(self.year, self.first_month, self.last_month)


@dataclass
class TenantTax:
    company: Company
    tax: Decimal
    share: float | None
    lease: Lease | None  # the company's lease in this building today, if any


@dataclass
class ExpiringLease:
    lease: Lease
    days_left: int
    tax_12m: Decimal


@dataclass
class BuildingTaxPage:
    building: Building
    month: str
    basis: str
    figures: BuildingFigures
    months: list[MonthTax]
    years: list[YearTax]
    tenants: list[TenantTax]
    tenants_total: Decimal  # the building's tax of the 12 months ending M, in the basis
    expiring: list[ExpiringLease]

    @property
    def expiring_tax(self) -> Decimal:
        return sum((e.tax_12m for e in self.expiring), ZERO)

    @property
    def expiring_share(self) -> float | None:
        return _share(self.expiring_tax, self.tenants_total)


def _monthly_rows(session, building_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    stmt = select(BuildingTaxMonth.period, BuildingTaxMonth.total_tax, BuildingTaxMonth.district_tax).where(
        BuildingTaxMonth.building_id == building_id
    )
    return {period: (Decimal(total), Decimal(district)) for period, total, district in session.execute(stmt)}


def _years(session, monthly: dict[str, tuple[Decimal, Decimal]], month: str, rules: TierRules) -> list[YearTax]:
    """Each year with data up to ``month``, newest first, over the months the district's tax data
    covers (the year of ``month`` runs to ``month``; the first year from the first month with data)."""
    years = sorted({P.split(p)[0] for p in monthly if p <= month}, reverse=True)

    def sums(year: int, first: int, last: int) -> tuple[Decimal, Decimal]:
        total = district = ZERO
        for m in range(first, last + 1):
            t, d = monthly.get(f"{year:04d}-{m:02d}", (ZERO, ZERO))
            total, district = total + t, district + d
        return total, district

    rows = []
    for year in years:
        first, last = year_months(session, year, month)
        total, district = sums(year, first, last)
        prev_total, prev_district = sums(year - 1, first, last)
        amount, prev = (district, prev_district) if rules.basis == "district" else (total, prev_total)
        # A change against a year whose data misses some of these months would compare unlike periods.
        prev_first, prev_last = year_months(session, year - 1, month)
        yoy = _change(amount, prev) if prev_first <= first and last <= prev_last else None
        rows.append(YearTax(year, total, district, first, last, rules.tier_of(amount), yoy))
    return rows


def _tenants(
    session, building: Building, first: str, last: str, basis: str, current: list[Lease]
) -> tuple[list[TenantTax], Decimal]:
    amount = func.sum(record_amount(basis))
    top = session.execute(
        select(TaxRecord.company_id, amount)
        .where(TaxRecord.building_id == building.id, TaxRecord.period.between(first, last))
        .group_by(TaxRecord.company_id)
        .order_by(amount.desc(), TaxRecord.company_id)
        .limit(TOP_TENANTS)
    ).all()
    total = session.scalar(
        select(func.coalesce(func.sum(record_amount(basis)), 0)).where(
            TaxRecord.building_id == building.id, TaxRecord.period.between(first, last)
        )
    )
    total = Decimal(total)
    companies = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_([cid for cid, _ in top])))}
    leases = {lease.company_id: lease for lease in current}
    tenants = [
        TenantTax(companies[cid], Decimal(tax), _share(Decimal(tax), total), leases.get(cid)) for cid, tax in top
    ]
    return tenants, total


def _expiring(
    session, building: Building, today: date, first: str, last: str, basis: str, current: list[Lease]
) -> list[ExpiringLease]:
    horizon = today + timedelta(days=365)
    leases = [lease for lease in current if lease.end_date is not None and lease.end_date <= horizon]
    if not leases:
        return []
    ids = [lease.company_id for lease in leases]
    taxes = dict(
        session.execute(
            select(TaxRecord.company_id, func.sum(record_amount(basis)))
            .where(
                TaxRecord.building_id == building.id,
                TaxRecord.company_id.in_(ids),
                TaxRecord.period.between(first, last),
            )
            .group_by(TaxRecord.company_id)
        ).all()
    )
    rows = [
        ExpiringLease(lease, (lease.end_date - today).days, Decimal(taxes.get(lease.company_id) or 0))
        for lease in leases
    ]
    return sorted(rows, key=lambda e: (e.lease.end_date, -e.tax_12m))


def building_tax(session, building: Building, month: str, today: date) -> BuildingTaxPage:
    """The tax tab of ``building`` for as-of month ``month``; leases (a top tenant's, the expiring
    ones) are as of ``today`` — the pages pass the month's as-of day (``periods.as_of_day``)."""
    rules = tier_rules(session)
    monthly = _monthly_rows(session, building.id)
    months = []
    for period in P.months_ending(month, 24):
        total, district = monthly.get(period, (ZERO, ZERO))
        months.append(MonthTax(period, total, district, monthly.get(P.shift(period, -12), (ZERO, ZERO))[0]))
    first = P.shift(month, -11)
    current = active_leases(session, building.id, today)
    tenants, tenants_total = _tenants(session, building, first, month, rules.basis, current)
    return BuildingTaxPage(
        building=building,
        month=month,
        basis=rules.basis,
        figures=building_figures(session, month, buildings=[building])[0],
        months=months,
        years=_years(session, monthly, month, rules),
        tenants=tenants,
        tenants_total=tenants_total,
        expiring=_expiring(session, building, today, first, month, rules.basis, current),
    )


# --------------------------------------------------------------------------------------------
# The district


@dataclass
class BuildingYears:
    building: Building
    amounts: dict[int, Decimal]
    tiers: dict[int, str | None]


@dataclass
class Movement:
    building: Building
    before: str | None
    after: str | None
    amount_before: Decimal
    amount_after: Decimal

    @property
    def up(self) -> bool:
        return TIER_KEYS.index(self.after) < TIER_KEYS.index(self.before)


@dataclass
class Slice:
    """A part of the year's tax: a company, an industry group or a street."""

    label: str
    amount: Decimal
    share: float | None
    company: Company | None = None


@dataclass
class DistrictTaxPage:
    year: int
    years: list[int]  # columns of the building table, oldest first
    latest_month: str
    in_progress: int | None  # the year of the latest data when it is not complete: "reached so far"
    basis: str
    rules: TierRules
    buildings: list[BuildingYears]
    tier_counts: dict[int, dict[str | None, int]]
    compared: bool  # whether year − 1 is complete, so tier movements mean something
    movements: list[Movement]
    matrix: dict[tuple[str | None, str | None], int]
    total: Decimal
    top_companies: list[Slice]
    industries: list[Slice]
    streets: list[Slice]
    selectable_years: list[int] = field(default_factory=list)
    year_labels: dict[int, str] = field(default_factory=dict)  # 2025年, 2026年（1–10月）

    @property
    def top_share(self) -> float | None:
        return _share(sum((s.amount for s in self.top_companies), ZERO), self.total)

    @property
    def ups(self) -> list[Movement]:
        return [m for m in self.movements if m.up]

    @property
    def downs(self) -> list[Movement]:
        return [m for m in self.movements if not m.up]


def _year_sums(session, first_year: int, last_period: str, basis: str) -> dict[int, dict[int, Decimal]]:
    """{building_id: {year: Σ tax}} from January of ``first_year`` to ``last_period``, in SQL."""
    amount = BuildingTaxMonth.district_tax if basis == "district" else BuildingTaxMonth.total_tax
    year = func.substr(BuildingTaxMonth.period, 1, 4)
    stmt = (
        select(BuildingTaxMonth.building_id, year, func.sum(amount))
        .where(BuildingTaxMonth.period.between(f"{first_year:04d}-01", last_period))
        .group_by(BuildingTaxMonth.building_id, year)
    )
    table: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for bid, y, total in session.execute(stmt):
        table[bid][int(y)] = Decimal(total)
    return table


def _concentration_rows(session, year: int, basis: str) -> list[tuple]:
    """("top", company id, None, Σ) for the top companies and ("group", None, industry group, Σ)
    of the year, in one statement, as plain tuples.

    The per-company sums of the year (read from the covering index
    ``ix_tax_records_period_company``) are a CTE used twice — for the top companies and, joined
    to the companies after grouping, for the industry groups — so the records are scanned once.
    """
    amount = func.sum(record_amount(basis))
    per_company = (
        select(TaxRecord.company_id.label("company_id"), amount.label("amount"))
        .where(TaxRecord.period.between(f"{year:04d}-01", f"{year:04d}-12"), TaxRecord.building_id.is_not(None))
        .group_by(TaxRecord.company_id)
        .cte("per_company")
    )
    top = (
        select(per_company.c.company_id, per_company.c.amount)
        .order_by(per_company.c.amount.desc(), per_company.c.company_id)
        .limit(TOP_COMPANIES)
        .subquery("top")
    )
    both = union_all(
        select(literal("top").label("kind"), top.c.company_id, null().label("industry_group"), top.c.amount),
        select(literal("group"), null(), Company.industry_group, func.sum(per_company.c.amount))
        .join(Company, Company.id == per_company.c.company_id)
        .group_by(Company.industry_group),
    )
    return [tuple(row) for row in session.execute(both)]


def _company_slices(session, year: int, basis: str, total: Decimal) -> tuple[list[Slice], list[Slice]]:
    """Top companies and industry groups of the year."""
    rows = _concentration_rows(session, year, basis)
    top_rows = sorted(((cid, Decimal(v)) for kind, cid, _, v in rows if kind == "top"), key=lambda r: (-r[1], r[0]))
    companies = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_([cid for cid, _ in top_rows])))}
    top_slices = [Slice(companies[cid].name, v, _share(v, total), companies[cid]) for cid, v in top_rows]
    order = {g: i for i, g in enumerate(INDUSTRY_GROUPS)}
    by_group = [(group or "未分类", Decimal(v)) for kind, _, group, v in rows if kind == "group"]
    industries = [
        Slice(group, value, _share(value, total))
        for group, value in sorted(by_group, key=lambda item: (-item[1], order.get(item[0], 99)))
    ]
    return top_slices, industries


def _streets(session, year: int, basis: str, total: Decimal) -> list[Slice]:
    amount = BuildingTaxMonth.district_tax if basis == "district" else BuildingTaxMonth.total_tax
    sums = dict(
        session.execute(
            select(Building.street, func.sum(amount))
            .join(Building, Building.id == BuildingTaxMonth.building_id)
            .where(BuildingTaxMonth.period.between(f"{year:04d}-01", f"{year:04d}-12"))
            .group_by(Building.street)
        ).all()
    )
    return [
        Slice(street, Decimal(sums.get(street) or 0), _share(Decimal(sums.get(street) or 0), total))
        for street in STREETS + sorted(set(sums) - set(STREETS))
    ]


def district_tax(session, year: int | None = None, years_shown: int = 3) -> DistrictTaxPage:
    """The district tax page for ``year`` (default: the last complete year of the data).

    Columns are the last ``years_shown`` complete years up to ``year`` plus the year in progress
    ("reached so far"); a year whose data starts after January is not a column, since its tiers
    and changes would compare part of a year with a whole one.
    """
    latest = session.scalar(select(func.max(BuildingTaxMonth.period)))
    if latest is None:
        raise NotFound("没有任何税收数据：请先导入税收数据", field="year")
    first_year, first_month = P.split(session.scalar(select(func.min(BuildingTaxMonth.period))))
    latest_year, latest_month = P.split(latest)
    in_progress = latest_year if latest_month != 12 else None
    first_complete = first_year if first_month == 1 else first_year + 1
    complete = list(range(first_complete, latest_year if in_progress else latest_year + 1))
    selectable = complete + ([in_progress] if in_progress else [])
    if year is None:
        year = complete[-1] if complete else latest_year
    if year not in selectable:
        raise NotFound(f"没有 {year}年 完整的税收数据", field="year")
    rules = tier_rules(session)
    columns = [y for y in complete if year - years_shown < y <= year]
    if in_progress and in_progress not in columns and in_progress >= year:
        columns.append(in_progress)
    sums = _year_sums(session, min(columns + [year - 1]), latest, rules.basis)
    buildings = list(session.scalars(select(Building).order_by(Building.code)))
    compare = year - 1 in complete

    rows, counts = [], {y: dict.fromkeys(TIER_KEYS, 0) for y in columns}
    movements, matrix = [], defaultdict(int)
    for b in buildings:
        amounts = sums.get(b.id, {})
        tiers = {y: rules.tier_of(amounts.get(y, ZERO)) for y in columns}
        for y, tier in tiers.items():
            counts[y][tier] += 1
        rows.append(BuildingYears(b, amounts, tiers))
        if compare:
            before, after = rules.tier_of(amounts.get(year - 1, ZERO)), tiers[year]
            matrix[(before, after)] += 1
            if before != after:
                movements.append(Movement(b, before, after, amounts.get(year - 1, ZERO), amounts.get(year, ZERO)))
    rows.sort(key=lambda r: (-r.amounts.get(year, ZERO), r.building.code))
    movements.sort(key=lambda m: (not m.up, -m.amount_after, m.building.code))

    total = sum((r.amounts.get(year, ZERO) for r in rows), ZERO)
    top, industries = _company_slices(session, year, rules.basis, total)
    return DistrictTaxPage(
        year=year,
        years=columns,
        latest_month=latest,
        in_progress=in_progress,
        basis=rules.basis,
        rules=rules,
        buildings=rows,
        tier_counts=counts,
        compared=compare,
        movements=movements,
        matrix=dict(matrix),
        total=total,
        top_companies=top,
        industries=industries,
        streets=_streets(session, year, rules.basis, total),
        selectable_years=selectable,
        year_labels={y: tax_year_label(session, y) for y in {*selectable, *columns, year, year - 1}},
    )
