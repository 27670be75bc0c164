"""The month bridge (变动说明): why occupied area and tenants moved from one month-end to the next.

For month M let a be the last day of M−1 and b the last day of M. A unit under a lease *counts*
on a day when the lease is active then and the unit counts toward leasable area — exactly the
(lease, unit) pairs the occupancy figures sum (``crm.services.occupancy``). The pairs counting
on b but not on a, and those counting on a but not on b, are sorted as follows:

- 新入驻 (moved_in): a pair that starts counting under a lease that began in M;
- 迁出 (moved_out): a pair that stops counting under a lease with a move-out dated in M;
- 到期未处置 (lapsed): a pair that stops counting only because its lease's end date passed
  (end on or after a and before b, no move-out dated on or before b);
- 其他 (other), itemised:
  - 到期后续签: a lease begun in M on a unit the same company held in the building under a lease
    that ended within ``RENEWAL_DAYS`` before — a renewal signed after the old lease ran out,
    not a new tenant;
  - 单元变动: a unit that starts or stops counting under a lease active on both days (a unit
    added to or retired from the register, a self-use change, a unit added to a lease);
  - 已确认数据与租约推算差异: where the figure shown for a month-end is a confirmed snapshot
    that differs from what the leases now give (a change made after confirmation without a
    correction), that difference, per building and month-end.

A lease that starts and ends (or moves out) within M counts on neither month-end and is in no
line. A 续租 or 转不定期 of a lapsed lease moves the same lease's end date: the lease never left,
so no line shows it (the months it spans are re-derived, as a correction where confirmed).

Tenants (入驻企业) get the same bridge over companies: of a building, the companies with a pair
counting there; of several buildings, the distinct companies over all of them. A company that
joins is 新入驻 when one of its joining pairs is, else 其他; one that leaves is 迁出 when one of its
leaving pairs moved out, else 到期未处置 when one lapsed, else 其他.

Hence, exactly: prev + moved_in − moved_out − lapsed + other = value, where prev and value are
the figures the pages show (``district_summary``'s for a scope of buildings, the month figures
for one building). Should the headline count otherwise than the buildings' figures add up to
(tenants counted once per company across buildings, against the buildings' confirmed counts),
what is left over is one more line of 其他, so the bridge always closes on the figure shown.
One function serves the dashboard, the building page and the briefing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, String, and_, case, func, literal, or_, select, union_all

from crm.models import Building, Company, Lease, OccupancySnapshot, Unit, lease_units
from crm.cache.versions import OCCUPANCY
from crm.services import periods as P
from crm.cache import cached
from crm.services.figures import district_summary
from crm.services.occupancy import Occupancy, lease_active_on, occupancy_on_days, unit_counts_on
from crm.services.snapshots import occupancy_for_months

ZERO = Decimal("0")
RENEWAL_DAYS = 92  # a company taking back its own units within about a quarter renews, not arrives

# Kinds of 其他 items
RENEWAL = "renewal"
UNIT = "unit"
CONFIRMED = "confirmed"
SCOPE = "scope"

# How a pair that changed is sorted
IN, OUT, LAPSED, UNIT_IN, UNIT_OUT = "in", "out", "lapsed", "unit_in", "unit_out"
MOVE_NAMES = {IN: "moved_in", OUT: "moved_out", LAPSED: "lapsed"}  # as the bridge's JSON names them


@dataclass(frozen=True)
class BridgeItem:
    """One itemised line of 其他: what it is and how much it adds (negative: takes away)."""

    kind: str
    label: str
    amount: Decimal | int
    building_code: str | None = None

    def as_json(self) -> dict:
        return {"kind": self.kind, "label": self.label, "amount": _number(self.amount), "building": self.building_code}


@dataclass(frozen=True)
class BuildingMove:
    """One building's share of 新入驻, 迁出 or 到期未处置: the area of its pairs of that kind and
    the companies they belong to — what names the biggest movers of a month (the briefing)."""

    kind: str  # IN | OUT | LAPSED
    building_code: str
    building_name: str
    area: Decimal
    companies: int

    def as_json(self) -> dict:
        return {
            "kind": MOVE_NAMES[self.kind],
            "building": self.building_code,
            "name": self.building_name,
            "area": _number(self.area),
            "companies": self.companies,
        }


@dataclass
class Bridge:
    """prev + moved_in − moved_out − lapsed + other = value, for area (m²) or tenants (家).

    ``movers`` (area bridges only) splits 新入驻, 迁出 and 到期未处置 by building, largest first.
    """

    measure: str  # "area" | "tenants"
    month: str
    prev: Decimal | int
    value: Decimal | int
    moved_in: Decimal | int
    moved_out: Decimal | int
    lapsed: Decimal | int
    other_items: list[BridgeItem] = field(default_factory=list)
    movers: list[BuildingMove] = field(default_factory=list)

    @property
    def other(self) -> Decimal | int:
        zero = ZERO if self.measure == "area" else 0
        return sum((item.amount for item in self.other_items), zero)

    @property
    def change(self) -> Decimal | int:
        return self.value - self.prev

    @property
    def balances(self) -> bool:
        return self.prev + self.moved_in - self.moved_out - self.lapsed + self.other == self.value

    def as_json(self) -> dict:
        """The briefing's ``bridge``: the four components (m² or 家) and the itemised 其他."""
        return {
            "moved_in": _number(self.moved_in),
            "moved_out": _number(self.moved_out),
            "lapsed": _number(self.lapsed),
            "other": _number(self.other),
            "other_items": [item.as_json() for item in self.other_items],
        }


@dataclass
class MonthBridge:
    month: str
    area: Bridge
    tenants: Bridge


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


# --------------------------------------------------------------------------------------------
# What changed between the two month-ends, from the leases


@dataclass(frozen=True)
class PairChange:
    """A (lease, unit) pair that counts on one month-end and not on the other."""

    period: str
    building_id: int
    company_id: int
    lease_id: int
    unit_id: int
    unit_label: str
    area: Decimal
    kind: str  # IN | OUT | LAPSED | UNIT_IN | UNIT_OUT
    start: date


def _month_days(periods):
    """(period, a, b) for each month: a the last day of the month before, b its own last day."""
    rows = [
        select(
            literal(p, String).label("period"),
            literal(P.month_end(P.shift(p, -1)), Date).label("a"),
            literal(P.month_end(p), Date).label("b"),
        )
        for p in sorted(set(periods))
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("months")


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _scoped(stmt, building_ids):
    return stmt if building_ids is None else stmt.where(Lease.building_id.in_(building_ids))


def _counts(day):
    return case((and_(lease_active_on(day), unit_counts_on(day)), 1), else_=0)


def _classify(entering: bool, start: date, end: date | None, moved_out: date | None, a: date, b: date) -> str:
    if entering:
        return IN if a < start <= b else UNIT_IN
    if moved_out is not None and a < moved_out <= b:
        return OUT
    if end is not None and a <= end < b:
        return LAPSED
    return UNIT_OUT


def pair_changes(session, periods, building_ids=None) -> list[PairChange]:
    """Every pair that counts on exactly one of the month-ends of each of ``periods``."""
    months = _month_days(periods)
    a, b = months.c.a, months.c.b
    in_a, in_b = _counts(a), _counts(b)
    stmt = _scoped(
        select(
            months.c.period,
            Lease.building_id,
            Lease.company_id,
            Lease.id,
            Lease.start_date,
            Lease.end_date,
            Lease.moved_out_on,
            Unit.id,
            Unit.floor,
            Unit.number,
            Unit.area,
            in_a,
            in_b,
            a,
            b,
        )
        .select_from(Lease)
        .join(months, or_(lease_active_on(a), lease_active_on(b)))
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, Unit.id == lease_units.c.unit_id)
        .where(in_a != in_b),
        building_ids,
    )
    changes = []
    for (
        period,
        building_id,
        company_id,
        lease_id,
        start,
        end,
        moved_out,
        unit_id,
        floor,
        number,
        area,
        counted_a,
        counted_b,
        day_a,
        day_b,
    ) in session.execute(stmt):
        start, end, moved_out = _as_date(start), _as_date(end), _as_date(moved_out)
        kind = _classify(bool(counted_b), start, end, moved_out, _as_date(day_a), _as_date(day_b))
        changes.append(
            PairChange(
                period, building_id, company_id, lease_id, unit_id, f"{floor}F-{number}", Decimal(area), kind, start
            )
        )
    return changes


def renewed_pairs(session, changes: list[PairChange]) -> set[tuple[int, int]]:
    """(lease id, unit id) of the joining pairs that renew: the same company held the unit in the
    building under another lease whose last day fell within ``RENEWAL_DAYS`` before the start."""
    joining = [c for c in changes if c.kind == IN]
    if not joining:
        return set()
    companies = {c.company_id for c in joining}
    units = {c.unit_id for c in joining}
    rows = session.execute(
        select(
            Lease.id,
            Lease.company_id,
            Lease.building_id,
            lease_units.c.unit_id,
            Lease.start_date,
            Lease.end_date,
            Lease.moved_out_on,
        )
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .where(Lease.company_id.in_(companies), lease_units.c.unit_id.in_(units))
    )
    earlier: dict[tuple[int, int, int], list[tuple[int, date]]] = defaultdict(list)
    for lease_id, company_id, building_id, unit_id, start, end, moved_out in rows:
        last = _last_day(_as_date(end), _as_date(moved_out))
        if last is not None:
            earlier[(company_id, building_id, unit_id)].append((lease_id, last))
    renewed = set()
    for c in joining:
        for lease_id, last in earlier.get((c.company_id, c.building_id, c.unit_id), []):
            if lease_id != c.lease_id and c.start - timedelta(days=RENEWAL_DAYS) <= last < c.start:
                renewed.add((c.lease_id, c.unit_id))
    return renewed


def _last_day(end: date | None, moved_out: date | None) -> date | None:
    """The last day a lease is active; None for one still open-ended."""
    days = [d for d in (end, moved_out - timedelta(days=1) if moved_out else None) if d is not None]
    return min(days) if days else None


@dataclass
class TenantRows:
    """Whether each company that has a changed pair counts in each building on a and on b."""

    rows: list[tuple[int, int, bool, bool]]  # (building, company, counts on a, counts on b)

    def scope_sets(self) -> tuple[set[int], set[int]]:
        """(companies counting on a, on b) in any of the buildings: a company is one tenant."""
        return ({c for _, c, at_a, _ in self.rows if at_a}, {c for _, c, _, at_b in self.rows if at_b})

    def building_change(self) -> dict[int, int]:
        """{building: companies that began to count there − companies that stopped}."""
        change: dict[int, int] = defaultdict(int)
        for building_id, _, at_a, at_b in self.rows:
            change[building_id] += int(at_b) - int(at_a)
        return change


def tenant_rows(session, periods, changes: list[PairChange], building_ids=None) -> dict[str, TenantRows]:
    """{period: TenantRows} for the companies with a changed pair that month — the only ones that
    can join or leave the tenants; asked for those companies alone."""
    companies = {c.company_id for c in changes}
    result = {p: TenantRows([]) for p in periods}
    if not companies:
        return result
    months = _month_days(periods)
    a, b = months.c.a, months.c.b
    stmt = _scoped(
        select(months.c.period, Lease.building_id, Lease.company_id, func.max(_counts(a)), func.max(_counts(b)))
        .select_from(Lease)
        .join(months, or_(lease_active_on(a), lease_active_on(b)))
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, Unit.id == lease_units.c.unit_id)
        .where(Lease.company_id.in_(companies))
        .group_by(months.c.period, Lease.building_id, Lease.company_id),
        building_ids,
    )
    wanted = {(c.period, c.company_id) for c in changes}
    for period, building_id, company_id, counted_a, counted_b in session.execute(stmt):
        if (period, company_id) in wanted:
            result[period].rows.append((building_id, company_id, bool(counted_a), bool(counted_b)))
    return result


# --------------------------------------------------------------------------------------------
# Building the bridges


@dataclass
class Seen:
    """The month-end figures a page shows: per building (to itemise snapshot differences) and in
    total (the headline, which for several buildings may count tenants once across them)."""

    area: Decimal
    tenants: int
    per_building: dict[int, Occupancy]


@dataclass
class Names:
    buildings: dict[int, tuple[str, str]]  # id -> (code, name)
    companies: dict[int, str]

    def code(self, building_id: int) -> str:
        return self.buildings.get(building_id, ("", ""))[0]

    def company(self, company_id: int) -> str:
        return self.companies.get(company_id, "")


def _names(session, changes: list[PairChange], building_ids) -> Names:
    ids = {c.building_id for c in changes} | set(building_ids or ())
    buildings = (
        {
            bid: (code, name)
            for bid, code, name in session.execute(
                select(Building.id, Building.code, Building.name).where(Building.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    company_ids = {c.company_id for c in changes}
    companies = (
        dict(session.execute(select(Company.id, Company.name).where(Company.id.in_(company_ids))).all())
        if company_ids
        else {}
    )
    return Names(buildings, companies)


def _pair_kind(change: PairChange, renewed: set[tuple[int, int]]) -> str:
    return RENEWAL if change.kind == IN and (change.lease_id, change.unit_id) in renewed else change.kind


def area_bridge(
    month: str,
    prev: Seen,
    now: Seen,
    changes: list[PairChange],
    renewed,
    names: Names,
    derived: tuple[dict[int, Occupancy], dict[int, Occupancy]],
    notes,
) -> Bridge:
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    renewals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    units: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    example: dict[object, PairChange] = {}
    for change in changes:
        kind = _pair_kind(change, renewed)
        if kind == RENEWAL:
            renewals[change.lease_id] += change.area
            example[change.lease_id] = change
        elif kind in (UNIT_IN, UNIT_OUT):
            key = (change.building_id, change.unit_id, kind)
            units[key] += change.area if kind == UNIT_IN else -change.area
            example[key] = change
        else:
            sums[kind] += change.area
    items = []
    for lease_id, amount in sorted(renewals.items()):
        c = example[lease_id]
        code = names.code(c.building_id)
        items.append(BridgeItem(RENEWAL, f"到期后续签：{names.company(c.company_id)}（{code}）", amount, code))
    for key, amount in sorted(units.items()):
        c = example[key]
        code = names.code(c.building_id)
        what = "月末起计入" if key[2] == UNIT_IN else "月末不再计入"
        items.append(
            BridgeItem(UNIT, f"单元变动：{code} {c.unit_label}（{names.company(c.company_id)}）{what}", amount, code)
        )
    items += _confirmed_items(month, prev, now, derived, names, notes, lambda o: o.occupied_area, ZERO)
    bridge = Bridge(
        "area",
        month,
        prev.area,
        now.area,
        sums[IN],
        sums[OUT],
        sums[LAPSED],
        items,
        movers=_movers(changes, renewed, names),
    )
    _close_with_scope_item(bridge, "合计与各楼宇之和的差异", ZERO)
    return bridge


def _movers(changes: list[PairChange], renewed, names: Names) -> list[BuildingMove]:
    """新入驻, 迁出 and 到期未处置 per building (area and distinct companies), largest area first."""
    areas: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    companies: dict[tuple[str, int], set[int]] = defaultdict(set)
    for change in changes:
        kind = _pair_kind(change, renewed)
        if kind in MOVE_NAMES:
            areas[(kind, change.building_id)] += change.area
            companies[(kind, change.building_id)].add(change.company_id)
    movers = [
        BuildingMove(kind, *names.buildings.get(building_id, ("", "")), area, len(companies[(kind, building_id)]))
        for (kind, building_id), area in areas.items()
    ]
    return sorted(movers, key=lambda m: (-m.area, m.kind, m.building_code))


def tenants_bridge(
    month: str,
    prev: Seen,
    now: Seen,
    changes: list[PairChange],
    renewed,
    sets,
    names: Names,
    derived: tuple[dict[int, Occupancy], dict[int, Occupancy]],
    notes,
) -> Bridge:
    at_a, at_b = sets
    kinds_of: dict[int, set[str]] = defaultdict(set)
    where: dict[int, int] = {}
    for change in changes:
        kinds_of[change.company_id].add(_pair_kind(change, renewed))
        where.setdefault(change.company_id, change.building_id)
    counts: dict[str, int] = defaultdict(int)
    others: dict[tuple[str, int], int] = {}
    for company in at_b - at_a:
        kinds = kinds_of[company]
        if IN in kinds:
            counts[IN] += 1
        else:
            others[(RENEWAL if RENEWAL in kinds else UNIT, company)] = 1
    for company in at_a - at_b:
        kinds = kinds_of[company]
        if OUT in kinds:
            counts[OUT] += 1
        elif LAPSED in kinds:
            counts[LAPSED] += 1
        else:
            others[(UNIT, company)] = -1
    items = []
    for (kind, company), amount in sorted(others.items(), key=lambda kv: (kv[0][0], names.company(kv[0][1]))):
        code = names.code(where[company])
        label = "到期后续签" if kind == RENEWAL else "单元变动"
        items.append(BridgeItem(kind, f"{label}：{names.company(company)}（{code}）", amount, code))
    items += _confirmed_items(month, prev, now, derived, names, notes, lambda o: o.tenants, 0)
    bridge = Bridge("tenants", month, prev.tenants, now.tenants, counts[IN], counts[OUT], counts[LAPSED], items)
    # A headline that counts a company once across buildings differs from the sum of the
    # buildings' confirmed counts by what this line shows.
    _close_with_scope_item(bridge, "按企业去重计数与各楼宇计数之和的差异", 0)
    return bridge


def _confirmed_items(month, prev: Seen, now: Seen, derived, names: Names, notes, measure, zero) -> list[BridgeItem]:
    """Per building: the confirmed month-end figure shown minus the one the leases give (taken
    away for the month before, added for this month)."""
    items = []
    prev_month = P.shift(month, -1)
    for period, seen, given, sign in ((prev_month, prev, derived[0], -1), (month, now, derived[1], 1)):
        for building_id, shown in sorted(seen.per_building.items()):
            difference = measure(shown) - measure(given.get(building_id, Occupancy()))
            if difference == zero:
                continue
            code, name = names.buildings.get(building_id, ("", ""))
            label = f"已确认数据与租约推算差异：{code} {name}（{P.label(period)}末）"
            note = notes.get((building_id, period))
            if note:
                label += f"；{note}"
            items.append(BridgeItem(CONFIRMED, label, sign * difference, code))
    return items


def _close_with_scope_item(bridge: Bridge, label: str, zero) -> None:
    """Whatever the headline's own definition leaves over, as one line, so the bridge balances."""
    rest = bridge.value - (bridge.prev + bridge.moved_in - bridge.moved_out - bridge.lapsed + bridge.other)
    if rest != zero:
        bridge.other_items.append(BridgeItem(SCOPE, label, rest))


def _snapshot_notes(session, periods, building_ids) -> dict[tuple[int, str], str]:
    """For confirmed months that were corrected: "已于 … 更正：原因", to name beside a difference."""
    stmt = select(
        OccupancySnapshot.building_id,
        OccupancySnapshot.period,
        OccupancySnapshot.corrected_at,
        OccupancySnapshot.correction_reason,
    ).where(OccupancySnapshot.period.in_(list(periods)), OccupancySnapshot.corrected_at.is_not(None))
    if building_ids is not None:
        stmt = stmt.where(OccupancySnapshot.building_id.in_(list(building_ids)))
    return {(bid, period): f"该月曾更正：{reason or ''}" for bid, period, _, reason in session.execute(stmt)}


def _area_change(changes: list[PairChange]) -> dict[int, Decimal]:
    """{building: area that began to count − area that stopped} between the two month-ends."""
    change: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for c in changes:
        change[c.building_id] += c.area if c.kind in (IN, UNIT_IN) else -c.area
    return change


def _buildings_of(prev: Seen, now: Seen, area_change: dict, tenant_change: dict) -> set[int]:
    """Every building either month-end shows or the month's changes touch."""
    return set(prev.per_building) | set(now.per_building) | set(area_change) | set(tenant_change)


def confirmed_at_both_ends(prev: Seen, now: Seen, area_change: dict, tenant_change: dict) -> list[int]:
    """The buildings whose figures are confirmed at both month-ends: their start is asked of the leases."""
    return [
        bid
        for bid in _buildings_of(prev, now, area_change, tenant_change)
        if prev.per_building.get(bid, Occupancy()).confirmed and now.per_building.get(bid, Occupancy()).confirmed
    ]


def derived_ends(
    session,
    month: str,
    prev: Seen,
    now: Seen,
    area_change: dict[int, Decimal],
    tenant_change: dict[int, int],
    asked: dict[tuple[int, date], Occupancy] | None = None,
) -> tuple[dict[int, Occupancy], dict[int, Occupancy]]:
    """Per building, the month-end figures the leases give on a and on b. A month-end shown
    unconfirmed is the leases' figure already, and the other end follows from the changes; only
    buildings confirmed at both ends are asked of the database (one query, or none when
    ``asked`` already holds their figures on the previous month's end)."""
    at_a: dict[int, Occupancy] = {}
    at_b: dict[int, Occupancy] = {}
    ask = []
    for bid in _buildings_of(prev, now, area_change, tenant_change):
        shown_a, shown_b = prev.per_building.get(bid, Occupancy()), now.per_building.get(bid, Occupancy())
        if not shown_b.confirmed:
            at_b[bid] = shown_b
        elif not shown_a.confirmed:
            at_a[bid] = shown_a
        else:
            ask.append(bid)
    if ask:
        day = P.month_end(P.shift(month, -1))
        if asked is None:
            asked = occupancy_on_days(session, [day], ask)
        for bid in ask:
            if (bid, day) in asked:
                at_a[bid] = asked[(bid, day)]
    for bid in _buildings_of(prev, now, area_change, tenant_change):
        area, tenants = area_change.get(bid, ZERO), tenant_change.get(bid, 0)
        if bid in at_b:
            at_a[bid] = Occupancy(occupied_area=at_b[bid].occupied_area - area, tenants=at_b[bid].tenants - tenants)
        else:
            base = at_a.setdefault(bid, Occupancy())
            at_b[bid] = Occupancy(occupied_area=base.occupied_area + area, tenants=base.tenants + tenants)
    return at_a, at_b


def _bridges(session, periods: list[str], building_ids, seen: dict[str, Seen]) -> dict[str, MonthBridge]:
    """The bridges of ``periods`` over ``building_ids`` (None: every building), given the figures
    shown for each month-end involved (``seen``, keyed by period, including each month before)."""
    all_periods = sorted(set(periods) | {P.shift(p, -1) for p in periods})
    changes = pair_changes(session, periods, building_ids)
    renewed = renewed_pairs(session, changes)
    by_period: dict[str, list[PairChange]] = defaultdict(list)
    for change in changes:
        by_period[change.period].append(change)
    tenants = tenant_rows(session, periods, changes, building_ids)
    names = _names(session, changes, {bid for s in seen.values() for bid in s.per_building})
    notes = _snapshot_notes(session, all_periods, building_ids)
    # The month-ends the leases are asked for, of every month at once.
    asks = {
        P.month_end(P.shift(month, -1)): confirmed_at_both_ends(
            seen[P.shift(month, -1)], seen[month], _area_change(by_period[month]), tenants[month].building_change()
        )
        for month in periods
    }
    wanted = sorted({bid for ids in asks.values() for bid in ids})
    asked = occupancy_on_days(session, [day for day, ids in asks.items() if ids], wanted) if wanted else {}
    result = {}
    for month in periods:
        prev, now, mine = seen[P.shift(month, -1)], seen[month], by_period[month]
        ends = derived_ends(session, month, prev, now, _area_change(mine), tenants[month].building_change(), asked)
        result[month] = MonthBridge(
            month,
            area_bridge(month, prev, now, mine, renewed, names, ends, notes),
            tenants_bridge(month, prev, now, mine, renewed, tenants[month].scope_sets(), names, ends, notes),
        )
    return result


# --------------------------------------------------------------------------------------------
# For the pages


def _scope_seen(session, month: str, building_ids) -> Seen:
    """The figures the dashboard and the briefing show for ``month`` over the buildings."""
    summary = district_summary(session, month, building_ids, chart_months=1)
    per_building = {bid: occ for (bid, _), occ in occupancy_for_months(session, [month], building_ids).items()}
    return Seen(summary.occupancy.occupied_area, summary.occupancy.tenants, per_building)


def month_bridge(session, month: str, building_ids=None) -> MonthBridge:
    """The bridge of ``month`` for the district (``building_ids`` None) or a set of buildings (a
    manager's): the dashboard's "变动说明" and the briefing's. Kept in the figure cache."""
    scope = None if building_ids is None else tuple(sorted(building_ids))

    def compute() -> MonthBridge:
        seen = {p: _scope_seen(session, p, scope) for p in (P.shift(month, -1), month)}
        return _bridges(session, [month], scope, seen)[month]

    return cached(session, (OCCUPANCY,), ("month_bridge", month, scope), compute, shared=True)


def building_bridges(
    session, building_id: int, periods: list[str], figures: dict[tuple[int, str], Occupancy] | None = None
) -> dict[str, MonthBridge]:
    """The bridges of one building for each of ``periods`` (its page's history), from the month
    figures its page shows (``crm.services.snapshots.occupancy_for_months``; ``figures`` when the
    page has read them already for every month involved)."""
    wanted = sorted(set(periods) | {P.shift(p, -1) for p in periods})
    if figures is None or any((building_id, p) not in figures for p in wanted):
        figures = occupancy_for_months(session, wanted, [building_id])
    seen = {}
    for p in wanted:
        occ = figures.get((building_id, p), Occupancy())
        seen[p] = Seen(occ.occupied_area, occ.tenants, {building_id: occ})
    return _bridges(session, list(periods), (building_id,), seen)
