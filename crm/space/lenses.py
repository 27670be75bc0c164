"""Stacking-plan lenses: what colours each unit of a plan, besides its status.

- 状态 ``status``: the plan as it always was (let, reserved, self-use, vacant by how long).
- 租约到期 ``expiry``: a let unit's lease ends within 3 months of the day (end ≤ day + 3
  calendar months), within 6, within 12, later, or has no end (不定期).
- 产业类别 ``industry``: the tenant's industry group, one of the 11 (or 未分类).
- 税收贡献 ``tax``: the tenant's tax per m² — its tax of the 12 months ending the day's month
  attributed to the building ÷ the area it leases there on the day — placed in the quintiles of
  every tenant of the district (company and building), boundaries by nearest rank: the k-th
  boundary is the ⌈k·n/5⌉-th smallest value, and a value belongs to the first quintile whose
  boundary it does not exceed.
- 属地注册 ``registration``: whether the tenant is registered in the district.

Units that no lease covers keep their status colour, faded, under every lens but 状态.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crm.formats import yuan
from crm.models import Lease, TaxRecord, Unit, lease_units
from crm.models.choices import INDUSTRY_GROUPS
from crm.cache.versions import OCCUPANCY, TAX
from crm.services import periods as P
from crm.cache import cached
from crm.services.occupancy import lease_active_on

LENSES = {"status": "状态", "expiry": "租约到期", "industry": "产业类别", "tax": "税收贡献", "registration": "属地注册"}
DEFAULT = "status"
EXPIRY_BUCKETS = [
    ("exp-3", "3个月内"),
    ("exp-6", "3–6个月"),
    ("exp-12", "6–12个月"),
    ("exp-later", "12个月以后"),
    ("exp-open", "不定期"),
]
TAX_QUINTILES = [
    (f"tax-q{q}", label) for q, label in enumerate(["最低 20%", "20–40%", "40–60%", "60–80%", "最高 20%"], start=1)
]
INDUSTRY_CLASSES = [(f"ind-{i}", group) for i, group in enumerate(INDUSTRY_GROUPS)] + [("ind-none", "未分类")]
REGISTRATION = [("reg-yes", "属地注册"), ("reg-no", "非属地注册")]


@dataclass(frozen=True)
class Mark:
    css: str  # the unit's class under the lens
    figure: str  # the lens's figure, for the unit's tooltip


def lens_of(raw) -> str:
    """The lens a ``?lens=`` asks for; anything else is the status lens."""
    return raw if raw in LENSES else DEFAULT


def legend(lens: str) -> list[tuple[str, str]]:
    return {
        "expiry": EXPIRY_BUCKETS,
        "industry": INDUSTRY_CLASSES,
        "tax": TAX_QUINTILES,
        "registration": REGISTRATION,
    }.get(lens, [])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    year, month = divmod(day.month - 1 + months, 12)
    target = date(day.year + year, month + 1, 1)
    last = P.month_end(P.period_of(target)).day
    return target.replace(day=min(day.day, last))


def expiry_limits(day: date) -> list[tuple[date, str]]:
    """(last end date, class) of the expiry buckets on ``day``, nearest first."""
    return [(add_months(day, months), css) for months, css in ((3, "exp-3"), (6, "exp-6"), (12, "exp-12"))]


def expiry_bucket(end: date | None, day: date, limits: list[tuple[date, str]] | None = None) -> str:
    if end is None:
        return "exp-open"
    for last, css in limits if limits is not None else expiry_limits(day):
        if end <= last:
            return css
    return "exp-later"


def quintile_bounds(values: list[Decimal]) -> list[Decimal]:
    """The four boundaries (nearest rank) between the quintiles of ``values``; none when empty."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return []
    return [ordered[math.ceil(k * n / 5) - 1] for k in range(1, 5)]


def quintile(value: Decimal, bounds: list[Decimal]) -> int:
    """1…5: the first quintile whose upper boundary ``value`` does not exceed."""
    for index, bound in enumerate(bounds, start=1):
        if value <= bound:
            return index
    return 5


def _tax_per_m2(session, day: date) -> dict[tuple[int, int], Decimal]:
    """{(company id, building id): tax per m²} of every tenant of the district on ``day``."""
    areas = session.execute(
        select(Lease.company_id, Lease.building_id, func.sum(Unit.area))
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, Unit.id == lease_units.c.unit_id)
        .where(lease_active_on(day))
        .group_by(Lease.company_id, Lease.building_id)
    ).all()
    last = P.period_of(day)
    taxes = dict(
        ((c, b), Decimal(t))
        for c, b, t in session.execute(
            select(TaxRecord.company_id, TaxRecord.building_id, func.sum(TaxRecord.total_tax))
            .where(TaxRecord.period.between(P.shift(last, -11), last), TaxRecord.building_id.is_not(None))
            .group_by(TaxRecord.company_id, TaxRecord.building_id)
        )
    )
    return {
        (c, b): (taxes.get((c, b), Decimal(0)) / Decimal(a)).quantize(Decimal("0.01"))
        for c, b, a in areas
        if a and a > 0
    }


def district_tax_density(session, day: date) -> tuple[dict[tuple[int, int], Decimal], list[Decimal]]:
    """Every tenant's tax per m² and the district's quintile boundaries, cached by data version."""

    def compute():
        values = _tax_per_m2(session, day)
        return values, quintile_bounds(list(values.values()))

    return cached(session, (OCCUPANCY, TAX), ("space.lenses.density", day), compute)


def marks(session, states, lens: str, day: date) -> dict[int, Mark]:
    """{unit id: its mark under ``lens``} for the let units of ``states`` (units on ``day``)."""
    if lens == DEFAULT:
        return {}
    density, bounds = district_tax_density(session, day) if lens == "tax" else ({}, [])
    groups = {g: css for css, g in INDUSTRY_CLASSES}
    limits = expiry_limits(day)
    found = {}
    for s in states:
        lease = s.lease
        if lease is None:
            continue
        company = lease.company
        if lens == "expiry":
            css = expiry_bucket(lease.end_date, day, limits)
            figure = f"租期至 {lease.end_date}" if lease.end_date else "不定期租约"
        elif lens == "industry":
            css = groups.get(company.industry_group or "", "ind-none")
            figure = f"产业：{company.industry_group or '未分类'}"
        elif lens == "tax":
            value = density.get((company.id, lease.building_id), Decimal(0))
            q = quintile(value, bounds)
            css, figure = f"tax-q{q}", f"每平方米税收 {yuan(value)} 元（全区第 {q} 档，共 5 档）"
        else:
            css = "reg-yes" if company.registered_in_district else "reg-no"
            figure = "属地注册" if company.registered_in_district else "非属地注册"
        found[s.unit.id] = Mark(css, figure)
    return found


@dataclass
class BuildingPlan:
    building: object
    floors: list  # [(floor, [UnitState])], top floor first
    marks: dict[int, Mark]


def district_plans(session, day: date, lens: str, building_ids=None, street: str | None = None) -> list[BuildingPlan]:
    """Every visible building's plan on ``day`` under ``lens`` (of one street when given), by code."""
    from crm.models import Building
    from crm.services.units import floors, plan_states_of

    stmt = select(Building).order_by(Building.code)
    if building_ids is not None:
        stmt = stmt.where(Building.id.in_(building_ids))
    if street:
        stmt = stmt.where(Building.street == street)
    buildings = list(session.scalars(stmt))
    # Every building's units in one batch: all of them when the reader sees the whole district.
    everything = building_ids is None and not street
    states = plan_states_of(session, None if everything else [b.id for b in buildings], day)
    found = marks(session, [s for b in buildings for s in states.get(b.id, [])], lens, day)
    plans = []
    for building in buildings:
        own = states.get(building.id, [])
        plans.append(
            BuildingPlan(building, floors(own), {s.unit.id: found[s.unit.id] for s in own if s.unit.id in found})
        )
    return plans
