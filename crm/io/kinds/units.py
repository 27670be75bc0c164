"""Units (房源), keyed by (building code, floor, number). Admins, and managers for their buildings.

The leasable area of a building (Σ area of its current units that are not self-use) may never
exceed its declared office area: the row that would push it past is an error.

Self-use is dated (``crm.services.self_use``). A row names a self-use period by its 自用起始日期
(and 自用截止日期, its last day; blank: still self-use): the period starting that day is created
or has its end set. A 自用截止日期 alone ends the period it falls in. Without dates, 自用 = 是 keeps
a unit that is self-use as it is (a new unit is self-use from its 启用日期), and 自用 = 否 keeps a
unit that is not — turning self-use on or off always needs its date, so no past month changes
by accident.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, fill_ids, row_plan, set_fields
from crm.io.kinds import register
from crm.io.parsers import MAX_AREA, boolean, day, integer, positive_amount, text
from crm.models import Building, Company, Lease, Unit, UnitSelfUse, lease_units
from crm.models.choices import UNIT_STATUSES
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.leases import last_active_day
from crm.services.occupancy import lease_active_on
from crm.services.reach import SelfUseState, UnitState, self_use_span, unit_span
from crm.services.self_use import describe, meets, note, period_on, periods_of
from crm.services.unit_ops import check_area
from crm.services.units import status_of

FIELDS = {"area": "面积", "active_from": "启用日期", "retired_on": "停用日期"}
SELF_USE_LABELS = ("自用起始日期", "自用截止日期")
ZERO = Decimal(0)


@dataclass
class SelfUsePlan:
    """What a row does to the unit's self-use: a new period, or a new end for an existing one."""

    start: date | None
    end: date | None
    period: UnitSelfUse | None = None  # the existing period whose end changes; None: a new period

    @property
    def old(self) -> SelfUseState | None:
        return None if self.period is None else SelfUseState(self.period.start_date, self.period.end_date)

    @property
    def new(self) -> SelfUseState:
        return SelfUseState(self.start, self.end)


def building_lookup(ctx: Context, kind: ImportKind, plan, rows, key="building_code") -> dict[str, Building]:
    """The buildings the rows name, by code; unknown codes and buildings out of scope are errors.

    Rows with such an error are removed from ``rows``.
    """
    codes = {r.values[key] for r in rows}
    found = {b.code: b for b in ctx.session.scalars(select(Building).where(Building.code.in_(codes)))}
    kept = []
    for r in rows:
        building = found.get(r.values[key])
        if building is None:
            kind.error(ctx, plan, r.row, key, f"楼宇编码 {r.values[key]} 不存在")
        elif not ctx.scope.has_building(building.id):
            kind.error(ctx, plan, r.row, key, f"楼宇 {building.code}（{building.name}）不在您负责的楼宇范围内")
        else:
            kept.append(r)
    rows[:] = kept
    return found


def is_current(active_from, retired_on, today) -> bool:
    return (active_from is None or active_from <= today) and (retired_on is None or retired_on > today)


class RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


@register
class UnitsKind(ImportKind):
    name = "units"
    label = "单元（房源）"
    order = 20
    export_name = "单元"
    description = "楼宇的单元，按“楼宇编码 + 楼层 + 单元号”匹配。楼宇管理员只能导入自己负责的楼宇。"
    columns = [
        Column("building_code", "楼宇编码", "building_code", lambda v, env: text(v, 16), required=True, example="XG01"),
        Column(
            "floor",
            "楼层",
            "floor",
            lambda v, env: integer(v, "楼层", -10, "Ff层楼"),
            required=True,
            example=12,
            note="整数，地下层用负数",
        ),
        Column(
            "number",
            "单元号",
            "number",
            lambda v, env: text(v, 16),
            required=True,
            example="1201",
            aliases=("房号", "unit"),
        ),
        Column(
            "area",
            "面积",
            "area",
            lambda v, env: positive_amount(v, "面积", maximum=MAX_AREA),
            unit="m²",
            required=True,
            example=256.5,
            note="大于 0；各单元（自用除外）合计即楼宇的可租面积，不能超过楼宇的登记办公面积",
        ),
        Column(
            "self_use",
            "自用",
            "self_use",
            lambda v, env: boolean(v),
            blank=False,
            example="否",
            note="是/否；自用单元不计入可租面积，也不能出租。设为自用或取消自用须填写下面的日期",
        ),
        Column(
            "self_use_from",
            "自用起始日期",
            "self_use_from",
            lambda v, env: day(v),
            example=None,
            note="自用从哪天开始；填写后以日期为准（自用期从这天起，到自用截止日期止）",
        ),
        Column(
            "self_use_until",
            "自用截止日期",
            "self_use_until",
            lambda v, env: day(v),
            example=None,
            note="自用的最后一天；仍在自用留空。只填截止日期时，结束该日所在的自用期",
        ),
        Column("active_from", "启用日期", "active_from", lambda v, env: day(v), note="单元启用的日期，一直存在可留空"),
        Column(
            "retired_on", "停用日期", "retired_on", lambda v, env: day(v), note="单元拆分、合并或停用的日期，可留空"
        ),
        Column("status", "状态", "status", export_only=True),
        Column("tenant", "租户", "tenant", export_only=True),
        Column("lease_end", "租约到期", "lease_end", export_only=True),
    ]
    notes = [
        "日期可写 2026-10-31、2026/10/31 或 2026年10月31日，也可用 Excel 日期格式。",
        "改动已确认月份（月度填报）的行只能作为更正导入：上传时填写更正原因。",
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        buildings = building_lookup(ctx, self, plan, rows)
        ids = {b.id for b in buildings.values()}
        existing = {
            (u.building_id, u.floor, u.number): u
            for u in session.scalars(select(Unit).where(Unit.building_id.in_(ids)))
        }
        periods = periods_of(session, [u.id for u in existing.values()])
        seen: dict[tuple, int] = {}
        in_file = set()
        planned = []
        for r in rows:
            v = r.values
            building = buildings[v["building_code"]]
            key = (building.id, v["floor"], v["number"])
            label = f"{building.code} {v['floor']}F-{v['number']}"
            if key in seen:
                self.error(ctx, plan, r.row, "number", f"单元 {label} 与第 {seen[key]} 行重复")
                continue
            seen[key] = r.row
            in_file.add(key)
            unit = existing.get(key)
            try:
                check_area(building, v["area"])
            except DomainError as error:
                self.error(ctx, plan, r.row, "area", error.message)
                continue
            start = v.get("active_from", unit.active_from if unit else None)
            end = v.get("retired_on", unit.retired_on if unit else None)
            if start and end and end <= start:
                self.error(ctx, plan, r.row, "retired_on", f"停用日期 {end} 应晚于启用日期 {start}")
                continue
            own = periods.get(unit.id, []) if unit else []
            try:
                self_use = self._self_use_plan(ctx, v, unit, own, label)
            except RowError as error:
                self.error(ctx, plan, r.row, error.column, error.message)
                continue
            v["_self_use"] = self_use
            planned.append((r, building, unit, label))
        self._check_self_use_leases(ctx, plan, planned)
        self._check_leasable(ctx, plan, planned, existing, in_file, periods)
        bad = {i.row for i in plan.errors}
        for r, building, unit, label in planned:
            if r.row not in bad:
                plan.rows.append(self._row_plan(ctx, plan, r, building, unit, label))

    # ------------------------------------------------------------------ self-use
    def _self_use_plan(self, ctx, v, unit, own: list[UnitSelfUse], label) -> SelfUsePlan | None:
        """The self-use change a row asks for (None: none), or a RowError."""
        start, end = v.get("self_use_from"), v.get("self_use_until")
        today = ctx.today
        if start is not None:
            if end is not None and end < start:
                raise RowError("self_use_until", f"自用截止日期 {end} 早于自用起始日期 {start}")
            same = next((p for p in own if p.start_date == start), None)
            if same is not None:
                return None if same.end_date == end else self._checked(SelfUsePlan(start, end, same), own, label)
            return self._checked(SelfUsePlan(start, end), own, label)
        if end is not None:
            period = period_on(own, end) or next(
                (p for p in own if p.end_date is None and meets(p, date.min, end)), None
            )
            if period is None:
                raise RowError(
                    "self_use_until", f"单元 {label} 在 {end} 不是自用，无法结束自用；新的自用期请填写自用起始日期"
                )
            if period.end_date == end:
                return None
            return self._checked(SelfUsePlan(period.start_date, end, period), own, label)
        if "self_use" not in v:
            return None
        current = period_on(own, today) or next((p for p in own if p.end_date is None), None)
        if v["self_use"]:
            if current is not None:
                return None
            if unit is None:
                return self._checked(SelfUsePlan(v.get("active_from"), None), own, label)
            raise RowError("self_use_from", f"单元 {label} 设为自用须填写自用起始日期（从哪天起自用）")
        if current is not None and (current.start_date is None or current.start_date <= today):
            raise RowError(
                "self_use_until",
                f"单元 {label} 目前为自用{note(current)}：取消自用须填写自用截止日期（自用的最后一天）",
            )
        return None

    @staticmethod
    def _checked(change: SelfUsePlan, own: list[UnitSelfUse], label) -> SelfUsePlan:
        for other in own:
            if other is not change.period and meets(other, change.start or date.min, change.end):
                raise RowError("self_use_from", f"单元 {label} 已有自用期（{describe(other)}），与所填日期重叠")
        return change

    def _check_self_use_leases(self, ctx, plan, planned) -> None:
        """A self-use period may not meet a lease of the unit."""
        wanted = {
            unit.id: (r, change)
            for r, _, unit, _ in planned
            if unit is not None and (change := r.values["_self_use"]) is not None
        }
        if not wanted:
            return
        stmt = (
            select(Lease, lease_units.c.unit_id)
            .join(lease_units, lease_units.c.lease_id == Lease.id)
            .where(lease_units.c.unit_id.in_(sorted(wanted)))
        )
        for lease, unit_id in ctx.session.execute(stmt):
            if unit_id not in wanted:
                continue  # its row is already refused
            r, change = wanted[unit_id]
            first, last = change.start or date.min, change.end or date.max
            plan.basis.append(f"lease|{lease.id}|{lease.version}|{unit_id}")
            active_until = last_active_day(lease)
            if lease.start_date <= last and active_until >= first and lease.start_date <= active_until:
                self.error(
                    ctx,
                    plan,
                    r.row,
                    "self_use_from",
                    f"该单元在自用期内有租约（{lease.company.name}，{lease.start_date} 起），不能设为自用",
                )
                del wanted[unit_id]
        plan.basis.sort()

    @staticmethod
    def _self_use_today(change: SelfUsePlan | None, own: list[UnitSelfUse], today: date) -> bool:
        """Whether the unit is self-use today once the row is applied."""
        spans = [(p.start_date, p.end_date) for p in own if change is None or p is not change.period]
        if change is not None:
            spans.append((change.start, change.end))
        return any((start is None or start <= today) and (end is None or today <= end) for start, end in spans)

    # ------------------------------------------------------------------ rows
    def _row_plan(self, ctx, plan, r, building, unit, label):
        v = r.values
        change = v["_self_use"]
        changes = diff(unit, v, FIELDS) if unit else {}
        if change is not None:
            old = change.old or SelfUseState()
            for label_, before, after_ in zip(SELF_USE_LABELS, (old.start, old.end), (change.start, change.end)):
                if before != after_ or change.period is None:
                    changes[label_] = (before, after_)
        if unit is None:
            plan.reach(r.row, building.id, unit_span(None, self._unit_state(v, None)), "active_from")
        elif any(label_ in changes for label_ in FIELDS.values()):
            plan.reach(r.row, building.id, unit_span(self._unit_state({}, unit), self._unit_state(v, unit)), "area")
        if change is not None:
            plan.reach(r.row, building.id, self_use_span(change.old, change.new), "self_use_from")
        return row_plan(r.row, label, v, unit, changes if unit else None)

    @staticmethod
    def _unit_state(v, unit) -> UnitState:
        def value(key):
            return v[key] if key in v else (getattr(unit, key) if unit is not None else None)

        return UnitState(value("active_from"), value("retired_on"), value("area"))

    def _check_leasable(self, ctx, plan, planned, existing, in_file, periods) -> None:
        """The first row that would push a building's leasable area past its declared area."""
        today = ctx.today
        totals: dict[int, Decimal] = {}
        for key, unit in existing.items():
            totals.setdefault(key[0], ZERO)
            own = periods.get(unit.id, [])
            leasable = period_on(own, today) is None and is_current(unit.active_from, unit.retired_on, today)
            if key not in in_file and leasable:
                totals[key[0]] += unit.area
        for bid, total in sorted(totals.items()):
            plan.basis.append(f"leasable|{bid}|{total}")
        reported = set()
        for r, building, unit, label in planned:
            v = r.values
            own = periods.get(unit.id, []) if unit else []
            start = v.get("active_from", unit.active_from if unit else None)
            end = v.get("retired_on", unit.retired_on if unit else None)
            if self._self_use_today(v["_self_use"], own, today) or not is_current(start, end, today):
                continue
            total = totals.get(building.id, ZERO) + v["area"]
            totals[building.id] = total
            if total > building.declared_office_area and building.id not in reported:
                reported.add(building.id)
                self.error(
                    ctx,
                    plan,
                    r.row,
                    "area",
                    f"加上单元 {label} 后，{building.code}（{building.name}）的可租面积合计 {total:,.2f} m² "
                    f"将超过登记办公面积 {building.declared_office_area:,.2f} m²",
                )

    def apply(self, ctx: Context, plan) -> list[Change]:
        changes = []
        codes = {rp.values["building_code"] for rp in plan.rows}
        buildings = {b.code: b for b in ctx.session.scalars(select(Building).where(Building.code.in_(codes)))}
        for rp in plan.rows:
            v = rp.values
            if rp.action == "create":
                unit = Unit(building=buildings[v["building_code"]], floor=v["floor"], number=v["number"])
                set_fields(unit, v, FIELDS)
                ctx.session.add(unit)
                changes.append(Change(rp.row, "create", "units", None, rp.key, record=unit))
            elif rp.action == "update":
                unit = rp.target
                set_fields(unit, v, FIELDS)
                changes.append(Change(rp.row, "update", "units", unit.id, rp.key, rp.changes))
            else:
                continue
            change = v["_self_use"]
            if change is not None and change.period is not None:
                change.period.end_date = change.end
            elif change is not None:
                ctx.session.add(UnitSelfUse(unit=unit, start_date=change.start, end_date=change.end))
        ctx.session.flush()
        return fill_ids(changes)

    def export_items(self, session, scope, args, today, keep=None):
        """Units with their status at the end of the month (``building`` narrows to one building)."""
        month = P.parse_period(args.get("month") or P.last_complete_month(today), "month")
        on = P.month_end(month)
        stmt = select(Unit, Building.code).join(Building, Building.id == Unit.building_id)
        leases = (
            select(lease_units.c.unit_id, Company.name, Lease.end_date)
            .join(Lease, Lease.id == lease_units.c.lease_id)
            .join(Company, Company.id == Lease.company_id)
            .where(lease_active_on(on))
        )
        stmt, leases = scope.filter(stmt, Unit), scope.filter(leases, Lease)
        if args.get("building"):
            stmt = stmt.where(Building.code == args["building"])
            leases = leases.join(Building, Building.id == Lease.building_id).where(Building.code == args["building"])
        tenant = {unit_id: (name, end) for unit_id, name, end in session.execute(leases)}
        own = defaultdict(list)
        listed = stmt.with_only_columns(Unit.id)
        for period in session.scalars(select(UnitSelfUse).where(UnitSelfUse.unit_id.in_(listed))):
            own[period.unit_id].append(period)
        items = []
        for unit, code in session.execute(stmt.order_by(Building.code, Unit.floor.desc(), Unit.number)):
            lease, period = tenant.get(unit.id), period_on(own[unit.id], on)
            shown = period or latest_started(own[unit.id], on)
            items.append((unit, code, status_of(unit, lease, on, period is not None), lease, period is not None, shown))
        return items

    def export_values(self, item) -> dict:
        unit, code, status, lease, self_use, period = item
        return {
            "building_code": code,
            "floor": unit.floor,
            "number": unit.number,
            "area": unit.area,
            "self_use": self_use,
            "self_use_from": period.start_date if period else None,
            "self_use_until": period.end_date if period else None,
            "active_from": unit.active_from,
            "retired_on": unit.retired_on,
            "status": UNIT_STATUSES[status],
            "tenant": lease[0] if lease else None,
            "lease_end": lease[1] if lease else None,
        }


def latest_started(periods: list[UnitSelfUse], day: date) -> UnitSelfUse | None:
    """The self-use period that began last — on or before ``day`` if any did, else the first to come:
    what an export shows, so that importing it again changes nothing."""
    begun = [p for p in periods if p.start_date is None or p.start_date <= day]
    if begun:
        return max(begun, key=lambda p: p.start_date or date.min)
    return min(periods, key=lambda p: p.start_date, default=None)
