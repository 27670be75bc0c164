"""Leads (招商项目): a row with 项目编号 updates that lead, a row without one creates a lead.

Every row goes through the same validation as the lead form (``services.leads.validate_lead``),
and new rows through the duplicate guard: a company that matches an active lead or a current
tenant — or an earlier row of the same file — is an error naming the match and its owner,
unless the row says 确认重复 = 是 (then it is a warning and the lead is created). A promoter
imports leads they own; an admin (or the command line) names the owner by username.
Stages are not imported: they move by the pipeline's rules, on the board or the lead's page.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, fill_ids, row_plan, set_fields
from crm.io.kinds import register
from crm.io.kinds.companies import uscc_cell
from crm.io.parsers import MAX_AREA, boolean, choice, day, integer, narrow, nonnegative_amount, text
from crm.models import Building, Lead, User
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.models.lead import PRIORITIES, SOURCES, stage_label
from crm.services.duplicates import find_duplicates, normalise_name
from crm.services.errors import DomainError
from crm.services.leads import LeadInput, pipeline_rules, read_lead_filters, record_change, search_leads, validate_lead

FIELDS = {
    "company_name": "企业名称", "uscc": "统一社会信用代码", "source": "来源", "industry_group": "产业类别",
    "hq_type": "总部类型", "intended_area": "意向面积", "expected_annual_tax": "预计年税收", "priority": "优先级",
    "contact_name": "联系人", "contact_phone": "联系电话", "notes": "备注",
}
# The service names a field; the file names a column.
FIELD_COLUMNS = {"owner_id": "owner", "target_building_ids": "buildings", "next_followup_on": "next_followup_on"}


def codes(value, env) -> list[str]:
    return [code for code in narrow(value).replace(",", "、").replace(" ", "、").split("、") if code]


@register
class LeadsKind(ImportKind):
    name = "leads"
    label = "招商项目"
    order = 60
    export_name = "招商项目"
    description = ("招商项目清单。有项目编号的行更新该项目，没有的行新建项目（阶段为“线索”）；"
                   "与在跟项目或在驻企业重复的行须在“确认重复”填“是”才会导入。招商专员只能导入自己负责的项目。")
    columns = [
        Column("id", "项目编号", "id", lambda v, env: integer(v, "项目编号", 1), example="",
               note="更新已有项目时填写；新项目留空"),
        Column("company_name", "企业名称", "company_name", lambda v, env: text(v, 200), required=True,
               example="大连示例数据科技有限公司"),
        Column("uscc", "统一社会信用代码", "uscc", uscc_cell, example="91210200241281392F", note="已知时填写，按 GB 32100-2015 校验"),
        Column("source", "来源", "source", lambda v, env: choice(v, {s: s for s in SOURCES}, "来源"), required=True,
               example=SOURCES[0], note="可选：" + "、".join(SOURCES)),
        Column("industry_group", "产业类别", "industry_group",
               lambda v, env: choice(v, {g: g for g in INDUSTRY_GROUPS}, "产业类别"), example=INDUSTRY_GROUPS[0]),
        Column("hq_type", "总部类型", "hq_type", lambda v, env: choice(v, HQ_TYPES, "总部类型"), blank="none",
               example="区域型总部", note="留空为非总部"),
        Column("intended_area", "意向面积", "intended_area", lambda v, env: nonnegative_amount(v, "意向面积", maximum=MAX_AREA),
               unit="m²", example=600),
        Column("expected_annual_tax", "预计年税收", "expected_annual_tax",
               lambda v, env: nonnegative_amount(v, "预计年税收", env.scale), unit="元", money=True, example=3000000,
               note="单位元；表头写“预计年税收（万元）”时按万元换算"),
        Column("buildings", "目标楼宇", "buildings", codes, example="XG01、XG05", note="楼宇编码，多个用顿号分隔"),
        Column("owner", "负责人账号", "owner", lambda v, env: text(v, 64), example="zhaoshang1",
               note="招商专员的用户名；招商专员导入时可留空（即本人）"),
        Column("priority", "优先级", "priority", lambda v, env: choice(v, PRIORITIES, "优先级"), blank="normal",
               example="中"),
        Column("next_followup_on", "下次跟进日期", "next_followup_on", lambda v, env: day(v), example="2026-11-20",
               note="不能早于今天；新项目留空时为立项后 3 天"),
        Column("contact_name", "联系人", "contact_name", lambda v, env: text(v, 50), example="王经理"),
        Column("contact_phone", "联系电话", "contact_phone", lambda v, env: text(v, 30), example="13800000000"),
        Column("notes", "备注", "notes", lambda v, env: text(v, 4000), example=""),
        Column("confirm_duplicate", "确认重复", "confirm_duplicate", lambda v, env: boolean(v), blank=False,
               example="否", note="与在跟项目或在驻企业疑似重复、仍要导入时填“是”"),
        Column("stage", "阶段", "stage", export_only=True),
        Column("last_followup_on", "最近跟进", "last_followup_on", export_only=True),
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        promoter = ctx.user is not None and ctx.user.role == "promoter"
        usernames = {r.values.get("owner") for r in rows} - {None, ""}
        owners = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
        refs = {code for r in rows for code in r.values.get("buildings") or []}
        buildings = {b.code: b for b in session.scalars(select(Building).where(Building.code.in_(refs)))} if refs else {}
        ids = {r.values["id"] for r in rows if r.values.get("id")}
        known = {l.id: l for l in session.scalars(select(Lead).where(Lead.id.in_(ids)).options(selectinload(Lead.target_buildings)))} if ids else {}
        first_days = pipeline_rules(session).first_followup_days
        seen: dict[str, int] = {}
        for r in rows:
            v = r.values
            lead = known.get(v.get("id")) if v.get("id") else None
            if v.get("id") and lead is None:
                self.error(ctx, plan, r.row, "id", f"项目编号 {v['id']} 不存在")
                continue
            owner = self._owner(ctx, plan, r, v, owners, lead, promoter)
            if owner is None:
                continue
            missing = [code for code in v.get("buildings") or [] if code not in buildings]
            if missing:
                self.error(ctx, plan, r.row, "buildings", f"楼宇编码 {'、'.join(missing)} 不存在")
                continue
            data = LeadInput(
                company_name=v["company_name"], uscc=v.get("uscc") or "", source=v["source"],
                industry_group=v.get("industry_group") or "", hq_type=v.get("hq_type") or "none",
                intended_area=v.get("intended_area"), expected_annual_tax=v.get("expected_annual_tax"),
                target_building_ids=[buildings[c].id for c in v.get("buildings") or []],
                priority=v.get("priority") or "normal", contact_name=v.get("contact_name") or "",
                contact_phone=v.get("contact_phone") or "", notes=v.get("notes") or "",
                next_followup_on=v.get("next_followup_on"), owner_id=owner.id,
            )
            try:
                clean = validate_lead(session, data, ctx.today)
            except DomainError as error:
                self.error(ctx, plan, r.row, FIELD_COLUMNS.get(error.field, error.field if error.field in v else "company_name"), error.message)
                continue
            values = dict(clean.values)
            values["owner_id"] = owner.id
            values["target_building_ids"] = [b.id for b in clean.buildings] if "buildings" in v else None
            values["next_followup_on"] = v.get("next_followup_on")
            key = normalise_name(values["company_name"])
            if lead is None:
                if not self._duplicate_ok(ctx, plan, r, values, key, seen):
                    continue
                values["next_followup_on"] = values["next_followup_on"] or ctx.today + timedelta(days=first_days)
            for mark in filter(None, (key, values["uscc"])):
                seen.setdefault(mark, r.row)
            if lead is not None:
                changes = diff(lead, values, FIELDS)
                if values["target_building_ids"] is not None and sorted(values["target_building_ids"]) != sorted(b.id for b in lead.target_buildings):
                    changes["目标楼宇"] = ("、".join(b.code for b in lead.target_buildings), "、".join(v["buildings"]))
                if values["owner_id"] != lead.owner_id:
                    changes["负责人"] = (lead.owner.username, owner.username)
                plan.rows.append(row_plan(r.row, f"#{lead.id}", values, lead, changes))
            else:
                plan.rows.append(row_plan(r.row, values["company_name"], values))

    def _owner(self, ctx, plan, r, v, owners, lead, promoter):
        if promoter:
            if v.get("owner") and v["owner"] != ctx.user.username:
                self.error(ctx, plan, r.row, "owner", "招商专员只能导入自己负责的项目，负责人请留空或填写本人账号")
                return None
            if lead is not None and lead.owner_id != ctx.user.id:
                self.error(ctx, plan, r.row, "id", f"项目 #{lead.id} 的负责人是 {lead.owner.display_name}，您不能修改")
                return None
            return ctx.user
        name = v.get("owner") or (lead.owner.username if lead is not None else "")
        owner = owners.get(name) if v.get("owner") else (lead.owner if lead is not None else None)
        if owner is None or owner.role != "promoter" or not owner.active:
            self.error(ctx, plan, r.row, "owner", f"负责人“{name}”不是在职的招商专员" if name else "请填写负责人账号")
            return None
        return owner

    def _duplicate_ok(self, ctx, plan, r, values, key, seen) -> bool:
        confirmed = bool(r.values.get("confirm_duplicate"))
        found = [m.description for m in find_duplicates(ctx.session, values["company_name"], values["uscc"], ctx.today)]
        earlier = next((seen[mark] for mark in (key, values["uscc"]) if mark and mark in seen), None)
        if earlier is not None:
            found.append(f"本文件第 {earlier} 行")
        if not found:
            return True
        message = "疑似重复：" + "；".join(found)
        if confirmed:
            plan.warn(r.row, self.column("company_name").header, None, message + "（已确认仍要导入）")
            return True
        self.error(ctx, plan, r.row, "company_name", message + "。如确认不是同一企业，请在“确认重复”填“是”")
        return False

    def apply(self, ctx: Context, plan) -> list[Change]:
        session = ctx.session
        wanted = {bid for rp in plan.rows for bid in rp.values.get("target_building_ids") or []}
        buildings = {b.id: b for b in session.scalars(select(Building).where(Building.id.in_(wanted)))} if wanted else {}
        changes = []
        for rp in plan.rows:
            v = rp.values
            targets = None if v.get("target_building_ids") is None else [buildings[i] for i in v["target_building_ids"]]
            if rp.action == "create":
                lead = Lead(stage="lead", created_on=ctx.today, owner_id=v["owner_id"], next_followup_on=v["next_followup_on"],
                            target_buildings=targets or [])
                set_fields(lead, v, FIELDS)
                session.add(lead)
                session.flush()
                record_change(session, lead, ctx.user, None, "lead", "导入新建")
                changes.append(Change(rp.row, "create", "leads", None, rp.key, record=lead))
            elif rp.action == "update":
                lead = rp.target
                set_fields(lead, v, FIELDS)
                lead.owner_id = v["owner_id"]
                if targets is not None:
                    lead.target_buildings = targets
                if v.get("next_followup_on"):
                    lead.next_followup_on = v["next_followup_on"]
                changes.append(Change(rp.row, "update", "leads", lead.id, rp.key, rp.changes))
        session.flush()
        return fill_ids(changes)

    def export_items(self, session, scope, args, today, keep=None):
        """Every lead the list shows for these filters, in its order (not just one page)."""
        filters, _ = read_lead_filters(args)
        result = search_leads(session, filters, today, pipeline_rules(session), args.get("sort", "next"),
                               args.get("dir") == "desc", page=1, per_page=10**9)
        return result.leads

    def export_values(self, lead) -> dict:
        values = {key: getattr(lead, key) for key in FIELDS}
        values["id"] = lead.id
        values["hq_type"] = HQ_TYPES.get(lead.hq_type, lead.hq_type)
        values["priority"] = PRIORITIES.get(lead.priority, lead.priority)
        values["buildings"] = "、".join(b.code for b in lead.target_buildings)
        values["owner"] = lead.owner.username
        values["next_followup_on"] = lead.next_followup_on
        values["confirm_duplicate"] = None
        values["stage"] = stage_label(lead.stage)
        values["last_followup_on"] = lead.last_followup_on
        return values

