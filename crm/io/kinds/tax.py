"""Monthly tax (税收) by company, keyed by (统一社会信用代码, 所属期). Admins only.

A (USCC, period) already recorded is replaced and counted as an update. A USCC not yet known is
listed as "unmatched": the admin rejects the file or has those companies created. Each written
record is attributed to a building when imported — the company's registered building, else the
building of its largest active lease at the period's end — and the per-building roll-up of the
touched periods is rebuilt. Tax files run to 100,000 rows, so this kind reads plain tuples and
writes with Core bulk statements rather than ORM objects.
"""

from __future__ import annotations


from sqlalchemy import bindparam, func, insert, select, update

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind
from crm.io.kinds import register
from crm.io.kinds.companies import CHUNK, uscc_cell
from crm.io.parsers import nonnegative_amount, period, positive_amount, text
from crm.io.report import RowPlan
from crm.models import Building, Company, Lease, TaxRecord, Unit, lease_units
from crm.services import periods as P
from crm.services.occupancy import lease_active_on
from crm.services.tax import refresh_rollup
from crm.warnings.evaluate import evaluate_after_tax_import
from crm.services.uscc import uscc_problem

TAX = TaxRecord.__table__
WRITE_CHUNK = 10_000


@register
class TaxKind(ImportKind):
    name = "tax"
    label = "税收"
    order = 50
    export_name = "税收"
    description = (
        "税务部门按月提供的企业税收，按“统一社会信用代码 + 所属期”匹配：已有的记录被替换（计为更新）。"
        "系统中没有的代码列为“未匹配”，由管理员决定拒绝文件或新建这些企业。"
    )
    columns = [
        Column(
            "uscc",
            "统一社会信用代码",
            "uscc",
            uscc_cell,
            required=True,
            example="91210200241281392F",
            aliases=("纳税人识别号", "信用代码", "社会信用代码"),
        ),
        Column(
            "company_name",
            "企业名称",
            "company_name",
            lambda v, env: text(v, 200),
            example="大连示例科技有限公司",
            note="用于新建未匹配的企业；匹配已有企业时不修改其名称",
            aliases=("纳税人名称",),
        ),
        Column(
            "period",
            "所属期",
            "period",
            lambda v, env: period(v, env.today),
            required=True,
            example="2026-10",
            note="YYYY-MM，不能晚于本月",
            aliases=("税款所属期", "月份"),
        ),
        Column(
            "total_tax",
            "全口径税收",
            "total_tax",
            lambda v, env: positive_amount(v, "全口径税收", env.scale),
            unit="元",
            money=True,
            required=True,
            example=1234567.89,
            note="大于 0，单位元；表头写“全口径税收（万元）”时按万元换算",
        ),
        Column(
            "district_tax",
            "区级税收",
            "district_tax",
            lambda v, env: nonnegative_amount(v, "区级税收", env.scale),
            unit="元",
            money=True,
            example=345678.9,
            note="区级留成，可为 0 或留空，不能超过全口径税收",
        ),
        Column(
            "building_code",
            "归属楼宇",
            "building_code",
            export_only=True,
            note="导出时显示记录归属的楼宇；导入时按规则重新归属，此列被忽略",
        ),
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        known = self._companies(session, {r.values["uscc"] for r in rows})
        periods = sorted({r.values["period"] for r in rows})
        existing = self._existing(session, periods, [company[0] for company in known.values()])
        problems: dict[str, str | None] = {}
        seen: dict[tuple[str, str], int] = {}
        has_district = "district_tax" in ctx.located
        for r in rows:
            v = r.values
            code, month = v["uscc"], v["period"]
            if code not in problems:
                problems[code] = uscc_problem(code)
            company = known.get(code)
            if problems[code] and not (company and company[1]):
                self.error(ctx, plan, r.row, "uscc", problems[code])
                continue
            if v.get("district_tax") is not None and v["district_tax"] > v["total_tax"]:
                self.error(
                    ctx,
                    plan,
                    r.row,
                    "district_tax",
                    f"区级税收 {v['district_tax']:,.2f} 元 大于全口径税收 {v['total_tax']:,.2f} 元",
                )
                continue
            key = (code, month)
            if key in seen:
                self.error(ctx, plan, r.row, "uscc", f"统一社会信用代码 {code} 的 {month} 税收与第 {seen[key]} 行重复")
                continue
            seen[key] = r.row
            label = f"{code} {month}"
            if company is None:
                plan.rows.append(RowPlan(r.row, "unmatched", label, v))
                continue
            v["_company_id"] = company[0]
            record = existing.get((company[0], month))
            if record is None:
                plan.rows.append(RowPlan(r.row, "create", label, v))
                continue
            changes = {}
            if record[1] != v["total_tax"]:
                changes["全口径税收"] = (record[1], v["total_tax"])
            if has_district and record[2] != v["district_tax"]:
                changes["区级税收"] = (record[2], v["district_tax"])
            plan.rows.append(RowPlan(r.row, "update" if changes else "unchanged", label, v, record[0], changes or None))
        plan.extra["registered"] = {cid: building for cid, _, building in known.values()}

    @staticmethod
    def _companies(session, codes) -> dict[str, tuple[int, bool, int | None]]:
        """uscc -> (id, uscc_override, registered_building_id)."""
        codes = sorted(codes)
        found = {}
        for start in range(0, len(codes), CHUNK):
            stmt = select(Company.uscc, Company.id, Company.uscc_override, Company.registered_building_id).where(
                Company.uscc.in_(codes[start : start + CHUNK])
            )
            for uscc, cid, override, building in session.execute(stmt):
                found[uscc] = (cid, override, building)
        return found

    @staticmethod
    def _existing(session, periods, company_ids: list[int]) -> dict[tuple[int, str], tuple]:
        """(company_id, period) -> (record id, total, district) for the file's companies and periods."""
        if not company_ids:
            return {}
        stmt = select(
            TaxRecord.company_id, TaxRecord.period, TaxRecord.id, TaxRecord.total_tax, TaxRecord.district_tax
        ).where(TaxRecord.period.in_(periods))
        if len(company_ids) <= CHUNK:  # a small file: its companies only, not the district's month
            stmt = stmt.where(TaxRecord.company_id.in_(company_ids))
        return {(cid, p): (rid, total, district) for cid, p, rid, total, district in session.execute(stmt)}

    # ------------------------------------------------------------------ applying
    def apply(self, ctx: Context, plan) -> list[Change]:
        session = ctx.session
        changes = self._create_unmatched(ctx, plan)
        written = [rp for rp in plan.rows if rp.action in ("create", "update")]
        periods = sorted({rp.values["period"] for rp in written})
        building_of = self._attribution(session, plan.extra["registered"], periods)
        updates = [rp for rp in written if rp.action == "update"]
        self._update(session, updates, building_of, "district_tax" in ctx.located)
        changes += [Change(rp.row, "update", "tax_records", rp.target, rp.key, rp.changes) for rp in updates]
        creates = [rp for rp in written if rp.action == "create"]
        for rp, record_id in zip(creates, self._insert(session, creates, building_of)):
            changes.append(Change(rp.row, "create", "tax_records", record_id, rp.key))
        if periods:
            refresh_rollup(session, periods)
            # The tax rules see the new months at once, in the import's transaction.
            evaluate_after_tax_import(session, ctx.today)
        return sorted(changes, key=lambda c: (c.row, c.table != "companies"))

    @staticmethod
    def _create_unmatched(ctx, plan) -> list[Change]:
        """Create a company for each unmatched USCC (the admin chose so); rows become creates."""
        unmatched = plan.unmatched
        if not unmatched:
            return []
        companies, changes = {}, []
        for rp in unmatched:
            code = rp.key.split()[0]
            if code not in companies:
                name = rp.values.get("company_name") or f"未登记企业（{code}）"
                companies[code] = Company(
                    name=name, uscc=code, hq_type="none", registered_in_district=False, taxed_in_district=False
                )
                ctx.session.add(companies[code])
                changes.append(Change(rp.row, "create", "companies", None, code, record=companies[code]))
        ctx.session.flush()
        for change in changes:
            change.record_id = change.record.id
            plan.extra["registered"][change.record_id] = None
        for rp in unmatched:
            rp.values["_company_id"] = companies[rp.key.split()[0]].id
            rp.action = "create"
        return changes

    @staticmethod
    def _attribution(session, registered: dict[int, int | None], periods):
        """(company_id, period) -> building: registered building, else largest active lease at month end."""
        largest: dict[str, dict[int, int]] = {}
        for month in periods:
            stmt = (
                select(Lease.company_id, Lease.building_id, func.sum(Unit.area).label("area"))
                .join(lease_units, lease_units.c.lease_id == Lease.id)
                .join(Unit, Unit.id == lease_units.c.unit_id)
                .where(lease_active_on(P.month_end(month)))
                .group_by(Lease.company_id, Lease.building_id)
            )
            best: dict[int, tuple] = {}
            for cid, bid, area in session.execute(stmt):
                # Largest area wins; equal areas go to the lower building id so the choice is stable.
                if cid not in best or (area, -bid) > (best[cid][1], -best[cid][0]):
                    best[cid] = (bid, area)
            largest[month] = {cid: bid for cid, (bid, _) in best.items()}

        def building_of(company_id: int, month: str) -> int | None:
            return registered.get(company_id) or largest[month].get(company_id)

        return building_of

    @staticmethod
    def _update(session, updates, building_of, has_district) -> None:
        values = dict(total_tax=bindparam("b_total"), building_id=bindparam("b_building"))
        if has_district:
            values["district_tax"] = bindparam("b_district")
        stmt = update(TAX).where(TAX.c.id == bindparam("b_id")).values(**values)
        for start in range(0, len(updates), WRITE_CHUNK):
            params = [
                dict(
                    b_id=rp.target,
                    b_total=rp.values["total_tax"],
                    b_district=rp.values.get("district_tax"),
                    b_building=building_of(rp.values["_company_id"], rp.values["period"]),
                )
                for rp in updates[start : start + WRITE_CHUNK]
            ]
            session.execute(stmt, params)

    @staticmethod
    def _insert(session, creates, building_of) -> list[int]:
        """Insert the new records; their ids, in order, are read back in one query per write.

        No RETURNING: on SQLite an ordered RETURNING falls back to one statement per row.
        """
        stmt = insert(TAX)
        for start in range(0, len(creates), WRITE_CHUNK):
            params = [
                dict(
                    company_id=rp.values["_company_id"],
                    period=rp.values["period"],
                    total_tax=rp.values["total_tax"],
                    district_tax=rp.values.get("district_tax"),
                    building_id=building_of(rp.values["_company_id"], rp.values["period"]),
                )
                for rp in creates[start : start + WRITE_CHUNK]
            ]
            session.execute(stmt, params)
        if not creates:
            return []
        periods = sorted({rp.values["period"] for rp in creates})
        found = dict(
            ((cid, p), rid)
            for rid, cid, p in session.execute(
                select(TaxRecord.id, TaxRecord.company_id, TaxRecord.period).where(TaxRecord.period.in_(periods))
            )
        )
        return [found[(rp.values["_company_id"], rp.values["period"])] for rp in creates]

    # ------------------------------------------------------------------ exporting
    def export_items(self, session, scope, args, today, keep=None):
        """Tax records by building and period: ``building`` (code), ``first``/``last`` or ``period``."""
        last = P.parse_period(args.get("last") or args.get("period") or P.last_complete_month(today), "last")
        first = P.parse_period(args.get("first") or args.get("period") or P.year_start(last), "first")
        stmt = (
            select(
                Company.uscc, Company.name, TaxRecord.period, TaxRecord.total_tax, TaxRecord.district_tax, Building.code
            )
            .join(Company, Company.id == TaxRecord.company_id)
            .outerjoin(Building, Building.id == TaxRecord.building_id)
            .where(TaxRecord.period.between(first, last))
            .order_by(Building.code, TaxRecord.period, Company.uscc)
        )
        stmt = scope.filter(stmt, TaxRecord)
        if args.get("building"):
            stmt = stmt.where(Building.code == args["building"])
        return session.execute(stmt).all()

    def export_values(self, item) -> dict:
        uscc, name, month, total, district, code = item
        return {
            "uscc": uscc,
            "company_name": name,
            "period": month,
            "total_tax": total,
            "district_tax": district,
            "building_code": code,
        }
