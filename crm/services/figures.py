"""The figures leadership sees — per building and for the district — for an as-of month.

One function computes each figure; the dashboard, the building list, the JSON API and the PDF
reports all call these, so they can never disagree. The as-of month M means: occupancy at the
end of M, tax year-to-date from January of M's year through M, tiers of the last complete
calendar year (M's year itself when M is December) and the tier "reached so far" this year.
A district's areas are the sums of its buildings'; its tenants are distinct companies
(``snapshots.district_tenants``), never the sum of the buildings' tenant counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from crm.models import Building
from crm.services import periods as P
from crm.services.occupancy import Occupancy, registered_rate
from crm.services.snapshots import district_tenants, occupancy_for_months
from crm.services.tax import ZERO, monthly_totals, tax_by_building_and_period, tax_windows, tax_year_label, tier_rules

HISTORY_MONTHS = 24  # a building page's chart


@dataclass
class BuildingFigures:
    building: Building
    occupancy: Occupancy
    tax_ytd: Decimal = ZERO
    tax_ytd_prev: Decimal = ZERO
    tax_12m: Decimal = ZERO
    tier_year_tax: Decimal = ZERO
    tier: str | None = None
    tier_so_far: str | None = None

    @property
    def tax_per_m2(self) -> Decimal | None:
        """Tax of the 12 months ending M ÷ occupied area at the end of M."""
        if self.occupancy.occupied_area <= 0:
            return None
        return (self.tax_12m / self.occupancy.occupied_area).quantize(Decimal("0.01"))


@dataclass
class DistrictSummary:
    month: str
    tier_year: int
    buildings: int
    occupancy: Occupancy
    tax_ytd: Decimal
    tax_ytd_prev: Decimal
    tiers: dict[str, int]
    tiers_so_far: dict[str, int]
    confirmed_buildings: int
    monthly_tax: list[tuple[str, Decimal]] = field(default_factory=list)
    tier_year_label: str = ""  # 2025年, or e.g. 2023年（11–12月） when the data covers part of it

    @property
    def registered_rate(self) -> float | None:
        return registered_rate(self.occupancy.registered_tenants, self.occupancy.tenants)

    @property
    def tax_ytd_change(self) -> float | None:
        if self.tax_ytd_prev <= 0:
            return None
        return float((self.tax_ytd - self.tax_ytd_prev) / self.tax_ytd_prev)


def tier_year(month: str) -> int:
    year, mon = P.split(month)
    return year if mon == 12 else year - 1


def visible_buildings(session, building_ids=None) -> list[Building]:
    stmt = select(Building).order_by(Building.code)
    if building_ids is not None:
        stmt = stmt.where(Building.id.in_(building_ids))
    return list(session.scalars(stmt))


def building_figures(session, month: str, building_ids=None, buildings=None) -> list[BuildingFigures]:
    """Figures of every visible building for as-of month ``month``, ordered by code."""
    buildings = buildings if buildings is not None else visible_buildings(session, building_ids)
    ids = [b.id for b in buildings]
    if not ids:
        return []
    rules = tier_rules(session)
    year, _ = P.split(month)
    t_year = tier_year(month)
    windows = {
        "ytd": (f"{year:04d}-01", month),
        "ytd_prev": (f"{year - 1:04d}-01", P.shift(month, -12)),
        "last_12": (P.shift(month, -11), month),
        "tier_year": (f"{t_year:04d}-01", f"{t_year:04d}-12"),
    }
    taxes = tax_windows(session, windows, None, rules.basis)  # every building's, cached: serves any scope
    # The whole district asked as the district (one cache entry every district page shares).
    whole = buildings is None and building_ids is None
    occupancy = occupancy_for_months(session, [month], None if whole else ids)
    none = dict.fromkeys(windows, ZERO)
    rows = []
    for building in buildings:
        tax = taxes.get(building.id, none)
        rows.append(
            BuildingFigures(
                building=building,
                occupancy=occupancy.get((building.id, month), Occupancy()),
                tax_ytd=tax["ytd"],
                tax_ytd_prev=tax["ytd_prev"],
                tax_12m=tax["last_12"],
                tier_year_tax=tax["tier_year"],
                tier=rules.tier_of(tax["tier_year"]),
                tier_so_far=rules.tier_of(tax["ytd"]),
            )
        )
    return rows


def count_tiers(tiers) -> dict[str, int]:
    counts = {"yi": 0, "wuqianwan": 0, "qianwan": 0}
    for tier in tiers:
        if tier:
            counts[tier] += 1
    return counts


def district_summary(session, month: str, building_ids=None, rows=None, chart_months: int = 24) -> DistrictSummary:
    rows = rows if rows is not None else building_figures(session, month, building_ids)
    total = Occupancy()
    for row in rows:
        total.add_areas(row.occupancy)
    ids = [row.building.id for row in rows]
    # Tenants of the district are distinct companies: a company in two buildings is one tenant.
    total.tenants, total.registered_tenants = district_tenants(session, month, ids) if ids else (0, 0)
    periods = P.months_ending(month, chart_months)
    monthly = monthly_totals(session, periods, ids, tier_rules(session).basis) if ids else [ZERO] * len(periods)
    return DistrictSummary(
        month=month,
        tier_year=tier_year(month),
        buildings=len(rows),
        occupancy=total,
        tax_ytd=sum((r.tax_ytd for r in rows), ZERO),
        tax_ytd_prev=sum((r.tax_ytd_prev for r in rows), ZERO),
        tiers=count_tiers(r.tier for r in rows),
        tiers_so_far=count_tiers(r.tier_so_far for r in rows),
        confirmed_buildings=sum(1 for r in rows if r.occupancy.confirmed),
        monthly_tax=list(zip(periods, monthly)),
        tier_year_label=tax_year_label(session, tier_year(month)),
    )


@dataclass
class MonthPoint:
    period: str
    occupancy: Occupancy
    tax: Decimal
    district_tax: Decimal


def building_history(session, building: Building, month: str, count: int = HISTORY_MONTHS) -> list[MonthPoint]:
    """Month-end occupancy and monthly tax of one building for the ``count`` months ending M."""
    periods = P.months_ending(month, count)
    occupancy = occupancy_for_months(session, periods, [building.id])
    total = tax_by_building_and_period(session, periods[0], month, [building.id], "total").get(building.id, {})
    district = tax_by_building_and_period(session, periods[0], month, [building.id], "district").get(building.id, {})
    return [
        MonthPoint(
            period=p,
            occupancy=occupancy.get((building.id, p), Occupancy()),
            tax=total.get(p, ZERO),
            district_tax=district.get(p, ZERO),
        )
        for p in periods
    ]
