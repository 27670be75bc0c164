"""Leases (入驻/租约), keyed by (company USCC, building code, start date).

The same rules as ``crm.services.leases.create_lease``: units of the named building, none of them
self-use on a day of the lease, and no unit under two active leases on any day — checked against the database and
between the rows of the file, each clash reported on the row that causes it. New leases are
created through ``create_lease`` itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, fill_ids
from crm.io.kinds import register
from crm.io.kinds.companies import CHUNK, check_uscc, companies_by_uscc, uscc_cell
from crm.io.kinds.units import building_lookup
from crm.io.parsers import CellError, choice, day, narrow, text
from crm.io.report import RowPlan
from crm.models import Building, Lease, Unit, UnitSelfUse, lease_units
from crm.models.choices import MOVE_OUT_REASONS
from crm.services.leases import create_lease, last_active_day
from crm.services.reach import LeaseState, lease_span
from crm.services.self_use import meets, note

UNIT_SPLIT = re.compile(r"[、,;\s]+")
UNIT_LABEL = re.compile(r"^(-?\d+)\s*[Ff层楼]\s*-?\s*(.+)$")
FOREVER = date.max


def unit_refs(value, env) -> list[str]:
    refs = [ref for ref in UNIT_SPLIT.split(narrow(value)) if ref]
    if not refs:
        raise CellError("请填写至少一个单元")
    return refs


def last_day(start: date, end: date | None, moved_out_on: date | None) -> date:
    last = end or FOREVER
    if moved_out_on is not None:
        last = min(last, moved_out_on - timedelta(days=1))
    return last


def labels(units) -> str:
    return "、".join(u.label for u in sorted(units, key=lambda u: (u.floor, u.number)))


@register
class LeasesKind(ImportKind):
    name = "leases"
    label = "租约（入驻）"
    order = 40
    export_name = "租约"
    description = (
        "企业在楼宇单元的租约，按“统一社会信用代码 + 楼宇编码 + 开始日期”匹配。"
        "企业须已登记；同一单元同一天只能有一份有效租约。"
    )
    columns = [
        Column(
            "uscc",
            "统一社会信用代码",
            "uscc",
            uscc_cell,
            required=True,
            example="91210200241281392F",
            aliases=("信用代码", "社会信用代码"),
        ),
        Column(
            "company_name",
            "企业名称",
            "company_name",
            export_only=True,
            example="大连示例科技有限公司",
            note="仅供阅读，导入时按统一社会信用代码匹配企业",
        ),
        Column("building_code", "楼宇编码", "building_code", lambda v, env: text(v, 16), required=True, example="XG01"),
        Column(
            "units",
            "单元",
            "units",
            unit_refs,
            required=True,
            example="12F-1201、12F-1202",
            note="写成“楼层F-单元号”，多个单元用顿号或逗号分隔；单元号在楼内唯一时也可只写单元号",
        ),
        Column("start_date", "开始日期", "start_date", lambda v, env: day(v), required=True, example=date(2026, 1, 1)),
        Column(
            "end_date", "结束日期", "end_date", lambda v, env: day(v), example=date(2028, 12, 31), note="无固定期限留空"
        ),
        Column("moved_out_on", "退租日期", "moved_out_on", lambda v, env: day(v), note="已退租时填写"),
        Column(
            "move_out_reason",
            "退租原因",
            "move_out_reason",
            lambda v, env: choice(v, {r: r for r in MOVE_OUT_REASONS}, "退租原因"),
            note="可选：" + "、".join(MOVE_OUT_REASONS),
        ),
    ]
    notes = [
        "日期可写 2026-10-31、2026/10/31 或 2026年10月31日，也可用 Excel 日期格式。",
        "只能导入本楼宇已有的单元；请先导入单元，再导入租约。",
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        known = companies_by_uscc(session, {r.values["uscc"] for r in rows})
        rows[:] = [r for r in rows if check_uscc(self, ctx, plan, r, known)]
        kept = []
        for r in rows:
            if r.values["uscc"] not in known:
                self.error(
                    ctx, plan, r.row, "uscc", f"统一社会信用代码 {r.values['uscc']} 的企业尚未登记，请先导入企业"
                )
            else:
                kept.append(r)
        rows[:] = kept
        buildings = building_lookup(ctx, self, plan, rows)
        units = self._units_of(session, {b.id for b in buildings.values()})
        own = self._self_use_of(session, {b.id for b in buildings.values()})
        existing = self._existing(session, {known[r.values["uscc"]].id for r in rows})
        planned = []
        seen: dict[tuple, int] = {}
        for r in rows:
            v = r.values
            company, building = known[v["uscc"]], buildings[v["building_code"]]
            chosen = self._resolve_units(ctx, plan, r, building, units)
            if chosen is None or not self._dates_ok(ctx, plan, r) or not self._not_self_use(ctx, plan, r, chosen, own):
                continue
            key = (company.id, building.id, v["start_date"])
            if key in seen:
                self.error(
                    ctx, plan, r.row, "start_date", f"与第 {seen[key]} 行是同一份租约（企业、楼宇、开始日期相同）"
                )
                continue
            seen[key] = r.row
            v.update(_company=company, _building=building, _units=chosen)
            planned.append((r, existing.get(key)))
        self._check_clashes(ctx, plan, planned)
        bad = {i.row for i in plan.errors}
        for r, lease in planned:
            if r.row not in bad:
                row = self._row_plan(r, lease)
                plan.rows.append(row)
                if row.action != "unchanged":
                    plan.reach(r.row, r.values["_building"].id, self._span(r.values, lease), self._reach_column(row))

    @staticmethod
    def _units_of(session, building_ids) -> dict[int, list[Unit]]:
        found = defaultdict(list)
        for unit in session.scalars(select(Unit).where(Unit.building_id.in_(building_ids))):
            found[unit.building_id].append(unit)
        return found

    @staticmethod
    def _self_use_of(session, building_ids) -> dict[int, list[UnitSelfUse]]:
        found = defaultdict(list)
        stmt = select(UnitSelfUse).join(Unit, Unit.id == UnitSelfUse.unit_id).where(Unit.building_id.in_(building_ids))
        for period in session.scalars(stmt):
            found[period.unit_id].append(period)
        return found

    def _not_self_use(self, ctx, plan, r, chosen, own) -> bool:
        """No unit of the lease is self-use on a day the lease is active."""
        v = r.values
        first, last = v["start_date"], last_day(v["start_date"], v.get("end_date"), v.get("moved_out_on"))
        for unit in chosen:
            for period in own.get(unit.id, []):
                if meets(period, first, None if last == FOREVER else last):
                    self.error(ctx, plan, r.row, "units", f"单元 {unit.label} 为自用{note(period)}，不能出租")
                    return False
        return True

    @staticmethod
    def _existing(session, company_ids) -> dict[tuple, Lease]:
        ids = sorted(company_ids)
        found = {}
        for start in range(0, len(ids), CHUNK):
            stmt = (
                select(Lease).where(Lease.company_id.in_(ids[start : start + CHUNK])).options(selectinload(Lease.units))
            )
            for lease in session.scalars(stmt):
                found.setdefault((lease.company_id, lease.building_id, lease.start_date), lease)
        return found

    def _resolve_units(self, ctx, plan, r, building, units) -> list[Unit] | None:
        mine = units.get(building.id, [])
        chosen = []
        for ref in r.values["units"]:
            match = UNIT_LABEL.match(ref)
            if match:
                found = [u for u in mine if u.floor == int(match.group(1)) and u.number == match.group(2)]
            else:
                found = [u for u in mine if u.number == ref]
            if not found:
                self.error(
                    ctx, plan, r.row, "units", f"单元 {ref} 在 {building.code}（{building.name}）中不存在，请先导入单元"
                )
                return None
            if len(found) > 1:
                self.error(
                    ctx,
                    plan,
                    r.row,
                    "units",
                    f"单元号 {ref} 在多个楼层都有，请写成“楼层F-单元号”，例如 {found[0].label}",
                )
                return None
            if found[0] not in chosen:
                chosen.append(found[0])
        return chosen

    def _dates_ok(self, ctx, plan, r) -> bool:
        v = r.values
        if v.get("end_date") and v["end_date"] < v["start_date"]:
            self.error(ctx, plan, r.row, "end_date", f"结束日期 {v['end_date']} 早于开始日期 {v['start_date']}")
            return False
        if v.get("moved_out_on") and v["moved_out_on"] < v["start_date"]:
            self.error(ctx, plan, r.row, "moved_out_on", f"退租日期 {v['moved_out_on']} 早于开始日期 {v['start_date']}")
            return False
        return True

    def _check_clashes(self, ctx, plan, planned) -> None:
        """No unit under two active leases on one day: against the database, then within the file."""
        unit_ids = sorted({u.id for r, _ in planned for u in r.values["_units"]})
        on_unit = defaultdict(list)
        for start in range(0, len(unit_ids), CHUNK):
            stmt = (
                select(Lease, lease_units.c.unit_id)
                .join(lease_units, lease_units.c.lease_id == Lease.id)
                .where(lease_units.c.unit_id.in_(unit_ids[start : start + CHUNK]))
            )
            for lease, unit_id in ctx.session.execute(stmt):
                on_unit[unit_id].append(lease)
                plan.basis.append(f"lease|{lease.id}|{lease.version}|{unit_id}")
        plan.basis.sort()
        rewritten = {lease.id for _, lease in planned if lease is not None}  # their new dates are in the file
        in_file = defaultdict(list)
        for r, matched in planned:
            v = r.values
            first, last = v["start_date"], last_day(v["start_date"], v.get("end_date"), v.get("moved_out_on"))
            clash = None
            for unit in v["_units"]:
                for other in on_unit.get(unit.id, []):
                    if other.id in rewritten or (matched is not None and other.id == matched.id):
                        continue
                    if (
                        other.start_date <= last
                        and last_active_day(other) >= first
                        and other.start_date <= last_active_day(other)
                    ):
                        clash = (
                            f"单元 {unit.label} 在该期间已有有效租约（{other.company.name}，{other.start_date} 起），"
                            "同一单元同一天只能有一份有效租约"
                        )
                        break
                if clash:
                    break
                in_file[unit.id].append((first, last, r.row, unit))
            if clash:
                self.error(ctx, plan, r.row, "units", clash)
        for spans in in_file.values():
            spans.sort()
            for (a_first, a_last, a_row, unit), (b_first, b_last, b_row, _) in zip(spans, spans[1:]):
                if b_first <= a_last:
                    self.error(
                        ctx,
                        plan,
                        b_row,
                        "units",
                        f"单元 {unit.label} 与第 {a_row} 行的租约时间重叠（{a_first} 起），同一单元同一天只能有一份有效租约",
                    )

    @staticmethod
    def _span(v, lease):
        """The days the row's lease (new or changed) alters."""
        new = LeaseState(
            v["start_date"],
            v.get("end_date"),
            v.get("moved_out_on"),
            frozenset(u.id for u in v["_units"]),
            v["_company"].id,
        )
        if lease is None:
            return lease_span(None, new)
        old = LeaseState(
            lease.start_date, lease.end_date, lease.moved_out_on, frozenset(u.id for u in lease.units), lease.company_id
        )
        return lease_span(
            old,
            LeaseState(
                new.start,
                v.get("end_date", lease.end_date),
                v.get("moved_out_on", lease.moved_out_on),
                new.units,
                new.company_id,
            ),
        )

    @staticmethod
    def _reach_column(row: RowPlan) -> str:
        if row.action == "create":
            return "start_date"
        for label, column in (("单元", "units"), ("退租日期", "moved_out_on"), ("结束日期", "end_date")):
            if label in (row.changes or {}):
                return column
        return "start_date"

    @staticmethod
    def _row_plan(r, lease) -> RowPlan:
        v = r.values
        key = f"{v['uscc']} {v['building_code']} {v['start_date']}"
        if lease is None:
            return RowPlan(r.row, "create", key, v)
        changes = {}
        for field, label in (("end_date", "结束日期"), ("moved_out_on", "退租日期"), ("move_out_reason", "退租原因")):
            if field in v and getattr(lease, field) != v[field]:
                changes[label] = (getattr(lease, field), v[field])
        if {u.id for u in lease.units} != {u.id for u in v["_units"]}:
            changes["单元"] = (labels(lease.units), labels(v["_units"]))
        return RowPlan(r.row, "update" if changes else "unchanged", key, v, lease, changes or None)

    def apply(self, ctx: Context, plan) -> list[Change]:
        changes = []
        # Updates first: a lease shortened in this file frees its units for a new one in the same file.
        for rp in sorted(plan.rows, key=lambda rp: rp.action != "update"):
            v = rp.values
            if rp.action == "update":
                lease = rp.target
                for field in ("end_date", "moved_out_on", "move_out_reason"):
                    if field in v:
                        setattr(lease, field, v[field])
                lease.units = list(v["_units"])
                ctx.session.flush()
                changes.append(Change(rp.row, "update", "leases", lease.id, rp.key, rp.changes))
            elif rp.action == "create":
                lease = create_lease(
                    ctx.session,
                    v["_company"],
                    v["_building"],
                    v["_units"],
                    v["start_date"],
                    v.get("end_date"),
                    v.get("moved_out_on"),
                    v.get("move_out_reason"),
                    self_use_checked=True,
                )
                changes.append(Change(rp.row, "create", "leases", lease.id, rp.key))
        ctx.session.flush()
        return fill_ids(sorted(changes, key=lambda c: c.row))

    def export_items(self, session, scope, args, today, keep=None):
        stmt = (
            select(Lease, Building.code)
            .join(Building, Building.id == Lease.building_id)
            .options(selectinload(Lease.units), selectinload(Lease.company))
            .order_by(Building.code, Lease.start_date, Lease.id)
        )
        stmt = scope.filter(stmt, Lease)
        if args.get("building"):
            stmt = stmt.where(Building.code == args["building"])
        return list(session.execute(stmt))

    def export_values(self, item) -> dict:
        lease, code = item
        return {
            "uscc": lease.company.uscc,
            "company_name": lease.company.name,
            "building_code": code,
            "units": labels(lease.units),
            "start_date": lease.start_date,
            "end_date": lease.end_date,
            "moved_out_on": lease.moved_out_on,
            "move_out_reason": lease.move_out_reason,
        }
