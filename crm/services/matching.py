"""载体匹配: vacant space that fits a lead, and holding it for the lead.

A candidate is one vacant unit, or a run of adjacent vacant units on one floor of one building
(adjacent = next to each other in unit-number order, nothing let in between), whose area is
within ± tolerance (a setting, 20 %) of the lead's intended area. Vacant on day D: the unit
exists, is not self-use on D or later (no self-use period ending on or after D), has no lease
that is active on D or starts later, and is not held for another lead.

Candidates are scored out of 100:
  area fit 40 × (1 − |area − intended| ÷ (tolerance × intended))
  positioning 25 when the building's 特色定位 names the lead's industry
  cluster 20 × the share of the building's current tenants in the lead's industry (capped at 50 %)
  tax 15 × the building's tax per m² ÷ the best among the shortlisted buildings (those whose
      area fit and positioning leave them a chance of the top list)

The database numbers the units of each floor (one window function) and returns only the vacant
ones — kept per day under the occupancy version, since numbering the district's units is most of
a search; each search then drops the oversized units and those held for another lead. Python
grows a window from each free unit over its adjacent free neighbours until it passes the upper
bound, keeping the best fit per floor. That is a few steps per free unit, where
summing every window of 1…12 units in SQL cost more than the whole search does now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Float, and_, case, func, literal, or_, select, tuple_, type_coerce

from crm.formats import area as area_text
from crm.models import Building, Company, Lead, Lease, Unit, UnitReservation, UnitSelfUse, lease_units
from crm.models.lead import ACTIVE_STAGES
from crm.services import periods as P
from crm.cache import OCCUPANCY, derived
from crm.services.errors import DomainError
from crm.services.leads import pipeline_rules
from crm.services.occupancy import lease_active_on, self_use_on, unit_exists_on
from crm.services.tax import tax_by_building

MAX_UNITS = 12  # the most units one candidate may combine: a whole floor in the district's buildings
RESULTS = 15
MAX_RESERVE_DAYS = 180
WEIGHTS = {"area": 40, "positioning": 25, "cluster": 20, "tax": 15}


def lease_not_over(day):
    """A lease that is active on ``day`` or starts later: the unit is not free from ``day`` on."""
    return and_(
        or_(Lease.moved_out_on.is_(None), Lease.moved_out_on > day),
        or_(Lease.end_date.is_(None), Lease.end_date >= day),
    )


def held_for(day, lead_id):
    """SELECT of the units held on ``day`` for ``lead_id`` (its own reservations)."""
    return select(UnitReservation.unit_id).where(
        UnitReservation.lead_id == lead_id, UnitReservation.reserved_until >= day
    )


def held_for_other_lead(day, lead_id):
    """The unit is reserved on ``day`` and not (only) for ``lead_id``."""
    if lead_id is None:
        return and_(Unit.reserved_until.is_not(None), Unit.reserved_until >= day)
    return and_(Unit.reserved_until.is_not(None), Unit.reserved_until >= day, Unit.id.not_in(held_for(day, lead_id)))


def vacant_condition(day):
    """SQL: the unit is neither let nor self-use on ``day`` or later, whoever holds it.

    The let units are one uncorrelated sub-query, which the database evaluates once into a set,
    rather than a probe of the leases per unit.
    """
    let = select(lease_units.c.unit_id).join(Lease, Lease.id == lease_units.c.lease_id).where(lease_not_over(day))
    own = select(UnitSelfUse.unit_id).where(or_(UnitSelfUse.end_date.is_(None), UnitSelfUse.end_date >= day))
    return and_(Unit.id.not_in(own), Unit.id.not_in(let))


def free_condition(day, lead_id=None):
    """SQL: the unit is vacant on ``day`` for the purposes of ``lead_id`` (see module docstring)."""
    return and_(vacant_condition(day), ~held_for_other_lead(day, lead_id))


@dataclass
class Candidate:
    building: Building
    floor: int
    units: list[Unit]
    area: Decimal
    scores: dict[str, float] = field(default_factory=dict)
    tax_per_m2: Decimal | None = None
    cluster_share: float | None = None
    targeted: bool = False

    @property
    def score(self) -> float:
        return round(sum(self.scores.values()), 1)

    @property
    def unit_ids(self) -> str:
        return ",".join(str(u.id) for u in self.units)

    @property
    def label(self) -> str:
        return "、".join(u.label for u in self.units)


@dataclass
class MatchResult:
    lead: Lead
    low: Decimal
    high: Decimal
    tolerance: Decimal
    candidates: list[Candidate]
    problem: str | None = None


class Window(NamedTuple):
    """A run of adjacent free units on one floor: ``count`` units from the ``first``-th position."""

    building_id: int
    floor: int
    first: int
    count: int
    area: float | Decimal


class ScoredWindow(NamedTuple):
    """A window with its building, its scores by criterion, the building's tax per m² and the
    share of its tenants in the lead's industry group."""

    building: Building
    floor: int
    first: int
    count: int
    area: Decimal
    scores: dict[str, float]
    tax: Decimal | None
    share: float


def area_bounds(intended: Decimal, tolerance: Decimal) -> tuple[Decimal, Decimal]:
    return (intended * (1 - tolerance)).quantize(Decimal("0.01")), (intended * (1 + tolerance)).quantize(
        Decimal("0.01")
    )


def _free_positions(session, day: date, high: Decimal, lead_id):
    """[(building_id, floor, position, area)] of the units that can be part of a candidate for
    ``lead_id``: the vacant units of ``_vacant_positions`` no larger than ``high``, held for no
    other lead."""
    own = set(session.scalars(held_for(day, lead_id)))
    high = float(high)
    return [
        (building_id, floor, position, area)
        for unit_id, building_id, floor, position, area, held_until in _vacant_positions(session, day)
        if area <= high and (held_until is None or held_until < day or unit_id in own)
    ]


@derived(OCCUPANCY, shared=True)  # numbering the district's 60,000 units is most of a search: once per day and data
def _vacant_positions(session, day: date) -> tuple:
    """((unit_id, building_id, floor, position, area, held until), ...) of the units vacant on
    ``day`` for some lead (see the module docstring; held or not), in building, floor and
    position order.

    Position is the unit's place on its floor in unit-number order among all units that exist on
    ``day``, so two free units are adjacent exactly when their positions are consecutive — a let,
    self-use, held or oversized unit between them leaves a gap. One sort of the units in SQL;
    only the vacant ones leave the database."""
    vacant = case((vacant_condition(day), 1), else_=0)
    numbered = (
        select(
            Unit.id,
            Unit.building_id,
            Unit.floor,
            Unit.area,
            Unit.reserved_until,
            vacant.label("vacant"),
            func.row_number().over(partition_by=(Unit.building_id, Unit.floor), order_by=Unit.number).label("pos"),
        )
        .where(unit_exists_on(day))
        .subquery("numbered")
    )
    c = numbered.c
    stmt = (
        select(c.id, c.building_id, c.floor, c.pos, type_coerce(c.area, Float), c.reserved_until)
        .where(c.vacant == 1)
        .order_by(c.building_id, c.floor, c.pos)
    )
    return tuple(tuple(row) for row in session.execute(stmt))


def _best_window_per_floor(free_units, low: float, high: float, target: float):
    """{(building_id, floor): the floor's best ``Window``}.

    For each floor the window of 1…MAX_UNITS adjacent free units whose area lies in [low, high]
    and is closest to ``target`` (then fewer units, then the lower position). Windows grow from
    each unit until they pass ``high``, so the work is the number of free units times the few
    units a window of the intended area needs.
    """
    best: dict[tuple[int, int], Window] = {}
    count = len(free_units)
    for i, (building_id, floor, first, area) in enumerate(free_units):
        total, k, j = area, 1, i
        while True:
            if total > high:
                break
            if total >= low:
                key = (building_id, floor)
                held = best.get(key)
                if held is None or (abs(total - target), k, first) < (abs(held.area - target), held.count, held.first):
                    best[key] = Window(building_id, floor, first, k, total)
            j += 1
            if k == MAX_UNITS or j == count:
                break
            next_building, next_floor, next_position, next_area = free_units[j]
            if next_building != building_id or next_floor != floor or next_position != first + k:
                break
            total += next_area
            k += 1
    return best


def _building_context(session, building_ids, day: date, group: str | None):
    """Per candidate building, in one query over its current leases: the share of its tenants in
    ``group`` (the cluster) and its occupied area; and its tax per m² — tax of the 12 complete
    months before ``day`` ÷ that occupied area (DESIGN.md)."""
    if not building_ids:
        return {}, {}
    same = case((Company.industry_group == group, Lease.company_id)) if group else literal(None)
    stmt = (
        select(
            Lease.building_id,
            func.count(func.distinct(Lease.company_id)),
            func.count(func.distinct(same)),
            func.sum(Unit.area),
        )
        .join(Company, Company.id == Lease.company_id)
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, and_(Unit.id == lease_units.c.unit_id, ~self_use_on(day), unit_exists_on(day)))
        .where(Lease.building_id.in_(building_ids), lease_active_on(day))
        .group_by(Lease.building_id)
    )
    last = P.last_complete_month(day)
    taxes = tax_by_building(session, P.shift(last, -11), last, building_ids)
    shares, per_m2 = {}, {}
    for bid, tenants, in_group, occupied in session.execute(stmt):
        shares[bid] = in_group / tenants if tenants else 0.0
        occupied = Decimal(str(occupied or 0))
        if occupied > 0:
            per_m2[bid] = (taxes.get(bid, Decimal(0)) / occupied).quantize(Decimal("0.01"))
    return shares, per_m2


def _units_of_floors(session, pairs, day: date) -> dict[tuple[int, int], list[Unit]]:
    stmt = (
        select(Unit)
        .where(tuple_(Unit.building_id, Unit.floor).in_(list(pairs)), unit_exists_on(day))
        .order_by(Unit.building_id, Unit.floor, Unit.number)
    )
    floors: dict[tuple[int, int], list[Unit]] = defaultdict(list)
    for unit in session.scalars(stmt):
        floors[(unit.building_id, unit.floor)].append(unit)
    return floors


def match_units(session, lead: Lead, today: date, limit: int = RESULTS) -> MatchResult:
    """Ranked candidates for ``lead`` on ``today``: the best-fitting window per floor, top ``limit``."""
    tolerance = pipeline_rules(session).area_tolerance
    if not lead.intended_area or lead.intended_area <= 0:
        return MatchResult(lead, Decimal(0), Decimal(0), tolerance, [], "请先在项目中填写意向面积，才能匹配载体。")
    intended = Decimal(lead.intended_area)
    low, high = area_bounds(intended, tolerance)
    free_units = _free_positions(session, today, high, lead.id)
    best = _best_window_per_floor(free_units, float(low), float(high), float(intended))
    best = {key: w._replace(area=Decimal(str(w.area)).quantize(Decimal("0.01"))) for key, w in best.items()}

    building_ids = sorted({key[0] for key in best})
    buildings = (
        {b.id: b for b in session.scalars(select(Building).where(Building.id.in_(building_ids)))}
        if building_ids
        else {}
    )
    targets = {b.id for b in lead.target_buildings}

    def fit_and_positioning(window: Window) -> dict[str, float]:
        building, area = buildings[window.building_id], window.area
        positioning = set((building.positioning or "").split("、"))
        return {
            "area": WEIGHTS["area"] * max(0.0, 1 - float(abs(area - intended) / (tolerance * intended)))
            if tolerance
            else WEIGHTS["area"],
            "positioning": WEIGHTS["positioning"]
            if lead.industry_group and lead.industry_group in positioning
            else 0.0,
        }

    # Cluster and tax add at most their weights: a window whose area and positioning already trail
    # the limit-th best by more cannot make the list, so only the shortlist's buildings are measured.
    partial = [(window, fit_and_positioning(window)) for window in best.values()]
    ranked = sorted((sum(p.values()) for _, p in partial), reverse=True)
    cutoff = ranked[limit - 1] - WEIGHTS["cluster"] - WEIGHTS["tax"] if len(ranked) >= limit else float("-inf")
    shortlist = [(w, p) for w, p in partial if sum(p.values()) >= cutoff]
    shares, per_m2 = _building_context(
        session, sorted({w.building_id for w, _ in shortlist}), today, lead.industry_group
    )
    top_tax = max(per_m2.values(), default=Decimal(0))

    scored = []
    for (building_id, floor, first, k, area), scores in shortlist:
        share = shares.get(building_id, 0.0)
        tax = per_m2.get(building_id)
        scores = scores | {
            "cluster": WEIGHTS["cluster"] * min(share / 0.5, 1.0),
            "tax": WEIGHTS["tax"] * float(tax / top_tax) if tax and top_tax > 0 else 0.0,
        }
        scored.append(ScoredWindow(buildings[building_id], floor, first, k, area, scores, tax, share))
    scored.sort(key=lambda c: (-sum(c.scores.values()), c.building.code, -c.floor))
    scored = scored[:limit]

    floors = _units_of_floors(session, {(c.building.id, c.floor) for c in scored}, today) if scored else {}
    candidates = [
        Candidate(
            building=building,
            floor=floor,
            units=floors[(building.id, floor)][first - 1 : first - 1 + k],
            area=area,
            scores={name: round(value, 1) for name, value in scores.items()},
            tax_per_m2=tax,
            cluster_share=share if lead.industry_group else None,
            targeted=building.id in targets,
        )
        for building, floor, first, k, area, scores, tax, share in scored
    ]
    problem = (
        None
        if candidates
        else (
            f"没有找到面积在 {area_text(low)}–{area_text(high)} m² 之间的空置单元或同层相邻单元组合。可调整意向面积后再试。"
        )
    )
    return MatchResult(lead, low, high, tolerance, candidates, problem)


def reserve_units(session, lead: Lead, unit_ids: list[int], until: date, actor, today: date) -> list[Unit]:
    """Hold vacant units for ``lead`` until ``until`` (sets Unit.reserved_until; recorded per lead)."""
    if lead.stage not in ACTIVE_STAGES:
        raise DomainError(f"项目处于「{lead.stage_label}」阶段，只有在跟进中的项目可以预留房源", field="units")
    if until is None or until <= today:
        raise DomainError(f"预留截止日期应晚于今天（{today}）", field="until")
    if until > today + timedelta(days=MAX_RESERVE_DAYS):
        raise DomainError(
            f"预留最长 {MAX_RESERVE_DAYS} 天，请选 {today + timedelta(days=MAX_RESERVE_DAYS)} 或更早", field="until"
        )
    ids = sorted(set(unit_ids or []))
    if not ids:
        raise DomainError("请选择要预留的单元", field="units")
    units = list(
        session.scalars(select(Unit).where(Unit.id.in_(ids), unit_exists_on(today)).order_by(Unit.floor, Unit.number))
    )
    if len(units) != len(ids):
        raise DomainError("所选单元不存在或已撤销", field="units")
    if len({u.building_id for u in units}) > 1:
        raise DomainError("一次只能预留同一栋楼宇的单元", field="units")
    free = set(session.scalars(select(Unit.id).where(Unit.id.in_(ids), free_condition(today, lead.id))))
    taken = [u.label for u in units if u.id not in free]
    if taken:
        raise DomainError(
            f"单元 {'、'.join(taken)} 今天不是空置状态（已出租、自用或已为其他项目预留），不能预留", field="units"
        )
    for unit in units:
        unit.reserved_until = (
            until if unit.reserved_until is None or unit.reserved_until < today else max(unit.reserved_until, until)
        )
        session.add(UnitReservation(lead=lead, unit=unit, reserved_until=until, reserved_by_id=actor.id))
    session.flush()
    return units


def reservations_of(session, lead: Lead, today: date) -> list[UnitReservation]:
    """The lead's holds that are still running, by building, floor and unit."""
    return list(
        session.scalars(
            select(UnitReservation)
            .join(Unit, Unit.id == UnitReservation.unit_id)
            .where(UnitReservation.lead_id == lead.id, UnitReservation.reserved_until >= today)
            .order_by(Unit.building_id, Unit.floor, Unit.number, UnitReservation.id)
        )
    )
