"""Units (房源), keyed by (building code, floor, number). Admins, and managers for their buildings.

The leasable area of a building (Σ area of its current units that are not self-use) may never
exceed its declared office area: the row that would push it past is an error.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, fill_ids, row_plan, set_fields
from crm.io.kinds import register
from crm.io.parsers import MAX_AREA, boolean, day, integer, positive_amount, text
from crm.models import Building, Company, Lease, Unit, lease_units
from crm.models.choices import UNIT_STATUSES
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.occupancy import lease_active_on
from crm.services.unit_ops import check_area
from crm.services.units import status_of

FIELDS = {"area": "面积", "self_use": "自用", "active_from": "启用日期", "retired_on": "停用日期"}
ZERO = Decimal(0)


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
        elif not ctx.in_scope(building.id):
            kind.error(ctx, plan, r.row, key, f"楼宇 {building.code}（{building.name}）不在您负责的楼宇范围内")
        else:
            kept.append(r)
    rows[:] = kept
    return found


def is_current(active_from, retired_on, today) -> bool:
    return (active_from is None or active_from <= today) and (retired_on is None or retired_on > today)


@register
class UnitsKind(ImportKind):
    name = "units"
    label = "单元（房源）"
    order = 20
    export_name = "单元"
    description = "楼宇的单元，按“楼宇编码 + 楼层 + 单元号”匹配。楼宇管理员只能导入自己负责的楼宇。"
    columns = [
        Column("building_code", "楼宇编码", "building_code", lambda v, env: text(v, 16), required=True, example="XG01"),
        Column("floor", "楼层", "floor", lambda v, env: integer(v, "楼层", -10, "Ff层楼"), required=True, example=12,
               note="整数，地下层用负数"),
        Column("number", "单元号", "number", lambda v, env: text(v, 16), required=True, example="1201",
               aliases=("房号", "unit")),
        Column("area", "面积", "area", lambda v, env: positive_amount(v, "面积", maximum=MAX_AREA), unit="m²", required=True,
               example=256.5, note="大于 0；各单元（自用除外）合计不能超过楼宇的可租面积"),
        Column("self_use", "自用", "self_use", lambda v, env: boolean(v), blank=False, example="否",
               note="是/否；自用单元不计入可租面积，也不能出租"),
        Column("active_from", "启用日期", "active_from", lambda v, env: day(v), note="单元启用的日期，一直存在可留空"),
        Column("retired_on", "停用日期", "retired_on", lambda v, env: day(v), note="单元拆分、合并或停用的日期，可留空"),
        Column("status", "状态", "status", export_only=True),
        Column("tenant", "租户", "tenant", export_only=True),
        Column("lease_end", "租约到期", "lease_end", export_only=True),
    ]
    notes = ["日期可写 2026-10-31、2026/10/31 或 2026年10月31日，也可用 Excel 日期格式。"]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        buildings = building_lookup(ctx, self, plan, rows)
        ids = {b.id for b in buildings.values()}
        existing = {(u.building_id, u.floor, u.number): u for u in session.scalars(select(Unit).where(Unit.building_id.in_(ids)))}
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
            planned.append((r, building, unit, label))
        self._check_leasable(ctx, plan, planned, existing, in_file)
        bad = {i.row for i in plan.errors}
        for r, building, unit, label in planned:
            if r.row not in bad:
                plan.rows.append(row_plan(r.row, label, r.values, unit, diff(unit, r.values, FIELDS) if unit else None))

    def _check_leasable(self, ctx, plan, planned, existing, in_file) -> None:
        """The first row that would push a building's leasable area past its declared area."""
        today = ctx.today
        totals: dict[int, Decimal] = {}
        for key, unit in existing.items():
            totals.setdefault(key[0], ZERO)
            if key not in in_file and not unit.self_use and is_current(unit.active_from, unit.retired_on, today):
                totals[key[0]] += unit.area
        for bid, total in sorted(totals.items()):
            plan.basis.append(f"leasable|{bid}|{total}")
        reported = set()
        for r, building, unit, label in planned:
            v = r.values
            self_use = v.get("self_use", unit.self_use if unit else False)
            start = v.get("active_from", unit.active_from if unit else None)
            end = v.get("retired_on", unit.retired_on if unit else None)
            if self_use or not is_current(start, end, today):
                continue
            total = totals.get(building.id, ZERO) + v["area"]
            totals[building.id] = total
            if total > building.declared_office_area and building.id not in reported:
                reported.add(building.id)
                self.error(ctx, plan, r.row, "area",
                           f"加上单元 {label} 后，{building.code}（{building.name}）的可租面积合计 {total:,.2f} m² "
                           f"将超过登记的可租面积 {building.declared_office_area:,.2f} m²")

    def apply(self, ctx: Context, plan) -> list[Change]:
        changes = []
        codes = {rp.values["building_code"] for rp in plan.rows}
        buildings = {b.code: b for b in ctx.session.scalars(select(Building).where(Building.code.in_(codes)))}
        for rp in plan.rows:
            if rp.action == "create":
                v = rp.values
                unit = Unit(building=buildings[v["building_code"]], floor=v["floor"], number=v["number"], self_use=False)
                set_fields(unit, v, FIELDS)
                ctx.session.add(unit)
                changes.append(Change(rp.row, "create", "units", None, rp.key, record=unit))
            elif rp.action == "update":
                set_fields(rp.target, rp.values, FIELDS)
                changes.append(Change(rp.row, "update", "units", rp.target.id, rp.key, rp.changes))
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
        if scope is not None:
            stmt = stmt.where(Unit.building_id.in_(scope))
            leases = leases.where(Lease.building_id.in_(scope))
        if args.get("building"):
            stmt = stmt.where(Building.code == args["building"])
            leases = leases.join(Building, Building.id == Lease.building_id).where(Building.code == args["building"])
        tenant = {unit_id: (name, end) for unit_id, name, end in session.execute(leases)}
        items = []
        for unit, code in session.execute(stmt.order_by(Building.code, Unit.floor.desc(), Unit.number)):
            lease = tenant.get(unit.id)
            items.append((unit, code, status_of(unit, lease, on), lease))
        return items

    def export_values(self, item) -> dict:
        unit, code, status, lease = item
        return {
            "building_code": code, "floor": unit.floor, "number": unit.number, "area": unit.area,
            "self_use": unit.self_use, "active_from": unit.active_from, "retired_on": unit.retired_on,
            "status": UNIT_STATUSES[status], "tenant": lease[0] if lease else None,
            "lease_end": lease[1] if lease else None,
        }
