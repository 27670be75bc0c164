"""Leads (招商项目): a row with 项目编号 updates that lead, a row without one creates a lead.

Every row goes through the same validation as the lead form (``services.leads.validate_lead``),
and new rows through the duplicate guard: a company that matches an active lead or a current
tenant — or an earlier row of the same file — is an error naming the match and its owner,
unless the row says 确认重复 = 是 (then it is a warning and the lead is created). A promoter
imports leads they own; an admin (or the command line) names the owner by username.

A new lead may arrive at a later stage, so a bureau can bring its history in: 阶段 with its
阶段日期 (not after today, not before the 立项日期), recorded in the stage history on that date.
退出 needs a reason (退出原因) and 搁置 a resume date (下次跟进日期), as on the board; 入驻 is only
ever reached by a confirmed move-in. An existing lead's stage moves on the board or its page, so
on an update row these columns must repeat what is stored (as an export does) or stay empty.

The duplicate check looks the whole file up in a few indexed queries (``DuplicateIndex``) and new
leads are written with bulk statements, so a 100,000-row file takes seconds, not hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import selectinload

from crm.io.bulk import insert_rows
from crm.io.columns import Column
from crm.io.kind import Change, Context, ImportKind, diff, row_plan, set_fields
from crm.io.report import RowPlan
from crm.io.kinds import register
from crm.io.kinds.companies import uscc_cell
from crm.io.parsers import MAX_AREA, boolean, choice, day, integer, narrow, nonnegative_amount, text
from crm.models import Building, Lead, LeadStageChange, User, lead_target_buildings
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.models.version import PIPELINE, bump
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, PRIORITIES, SOURCES, STAGES, stage_label
from crm.services.duplicates import DuplicateIndex, normalise_code, normalise_name
from crm.services.errors import DomainError
from crm.services.leads import LeadInput, pipeline_rules, read_lead_filters, search_leads, validate_lead
from crm.services.periods import BUSINESS_TZ

FIELDS = {
    "company_name": "企业名称",
    "uscc": "统一社会信用代码",
    "source": "来源",
    "industry_group": "产业类别",
    "hq_type": "总部类型",
    "intended_area": "意向面积",
    "expected_annual_tax": "预计年税收",
    "priority": "优先级",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "notes": "备注",
}
# The service names a field; the file names a column.
FIELD_COLUMNS = {"owner_id": "owner", "target_building_ids": "buildings", "next_followup_on": "next_followup_on"}


STAGE_CHOICES = {code: label for code, (label, _) in STAGES.items()} | OFF_LINE_STAGES
WRITE_CHUNK = 10_000


def codes(value, env) -> list[str]:
    return [code for code in narrow(value).replace(",", "、").replace(" ", "、").split("、") if code]


def stage_cell(value, env) -> str:
    return choice(value, STAGE_CHOICES, "阶段")


def stage_moment(day: date, today: date, now: datetime) -> datetime:
    """When a stage change dated ``day`` happened: now for today, office hours for an earlier day."""
    if day >= today:
        return now
    return datetime.combine(day, time(9, 0), tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


@register
class LeadsKind(ImportKind):
    name = "leads"
    label = "招商项目"
    order = 60
    export_name = "招商项目"
    description = (
        "招商项目清单。有项目编号的行更新该项目，没有的行新建项目（阶段默认为“线索”，也可填写历史阶段及其日期）；"
        "与在跟项目或在驻企业重复的行须在“确认重复”填“是”才会导入。招商专员只能导入自己负责的项目。"
    )
    columns = [
        Column(
            "id",
            "项目编号",
            "id",
            lambda v, env: integer(v, "项目编号", 1),
            example="",
            note="更新已有项目时填写；新项目留空",
        ),
        Column(
            "company_name",
            "企业名称",
            "company_name",
            lambda v, env: text(v, 200),
            required=True,
            example="大连示例数据科技有限公司",
        ),
        Column(
            "uscc",
            "统一社会信用代码",
            "uscc",
            uscc_cell,
            example="91210200241281392F",
            note="已知时填写，按 GB 32100-2015 校验",
        ),
        Column(
            "source",
            "来源",
            "source",
            lambda v, env: choice(v, {s: s for s in SOURCES}, "来源"),
            required=True,
            example=SOURCES[0],
            note="可选：" + "、".join(SOURCES),
        ),
        Column(
            "industry_group",
            "产业类别",
            "industry_group",
            lambda v, env: choice(v, {g: g for g in INDUSTRY_GROUPS}, "产业类别"),
            example=INDUSTRY_GROUPS[0],
        ),
        Column(
            "hq_type",
            "总部类型",
            "hq_type",
            lambda v, env: choice(v, HQ_TYPES, "总部类型"),
            blank="none",
            example="区域型总部",
            note="留空为非总部",
        ),
        Column(
            "intended_area",
            "意向面积",
            "intended_area",
            lambda v, env: nonnegative_amount(v, "意向面积", maximum=MAX_AREA),
            unit="m²",
            example=600,
        ),
        Column(
            "expected_annual_tax",
            "预计年税收",
            "expected_annual_tax",
            lambda v, env: nonnegative_amount(v, "预计年税收", env.scale),
            unit="元",
            money=True,
            example=3000000,
            note="单位元；表头写“预计年税收（万元）”时按万元换算",
        ),
        Column("buildings", "目标楼宇", "buildings", codes, example="XG01、XG05", note="楼宇编码，多个用顿号分隔"),
        Column(
            "owner",
            "负责人账号",
            "owner",
            lambda v, env: text(v, 64),
            example="zhaoshang1",
            note="招商专员的用户名；招商专员导入时可留空（即本人）",
        ),
        Column(
            "priority",
            "优先级",
            "priority",
            lambda v, env: choice(v, PRIORITIES, "优先级"),
            blank="normal",
            example="中",
        ),
        Column(
            "next_followup_on",
            "下次跟进日期",
            "next_followup_on",
            lambda v, env: day(v),
            example="2026-11-20",
            note="不能早于今天；新项目留空时为立项后 3 天；阶段为搁置时填恢复跟进日期（晚于今天）",
        ),
        Column("contact_name", "联系人", "contact_name", lambda v, env: text(v, 50), example="王经理"),
        Column("contact_phone", "联系电话", "contact_phone", lambda v, env: text(v, 30), example="13800000000"),
        Column("notes", "备注", "notes", lambda v, env: text(v, 4000), example=""),
        Column(
            "confirm_duplicate",
            "确认重复",
            "confirm_duplicate",
            lambda v, env: boolean(v),
            blank=False,
            example="否",
            note="与在跟项目或在驻企业疑似重复、仍要导入时填“是”",
        ),
        Column(
            "stage",
            "阶段",
            "stage",
            stage_cell,
            example="",
            note="新项目可填："
            + "、".join(label for code, label in STAGE_CHOICES.items() if code != "settled")
            + "；留空为线索。入驻须经楼宇管理员确认入驻申请，不能导入。已有项目的阶段请在看板上调整",
        ),
        Column(
            "stage_on",
            "阶段日期",
            "stage_on",
            lambda v, env: day(v),
            example="",
            note="进入该阶段的日期，记入阶段历史：不能晚于今天，不能早于立项日期；留空为今天",
        ),
        Column(
            "created_on",
            "立项日期",
            "created_on",
            lambda v, env: day(v),
            example="",
            note="新项目可填，不能晚于今天；留空时为阶段日期（未填则为今天）",
        ),
        Column(
            "lost_reason", "退出原因", "lost_reason", lambda v, env: text(v, 500), example="", note="阶段为退出时必填"
        ),
        Column("last_followup_on", "最近跟进", "last_followup_on", export_only=True),
    ]

    def plan_rows(self, ctx: Context, rows, plan) -> None:
        session = ctx.session
        promoter = ctx.user is not None and ctx.user.role == "promoter"
        usernames = {r.values.get("owner") for r in rows} - {None, ""}
        owners = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
        refs = {code for r in rows for code in r.values.get("buildings") or []}
        buildings = (
            {b.code: b for b in session.scalars(select(Building).where(Building.code.in_(refs)))} if refs else {}
        )
        ids = {r.values["id"] for r in rows if r.values.get("id")}
        known = (
            {
                lead.id: lead
                for lead in session.scalars(
                    select(Lead).where(Lead.id.in_(ids)).options(selectinload(Lead.target_buildings))
                )
            }
            if ids
            else {}
        )
        first_days = pipeline_rules(session).first_followup_days
        by_id = {b.id: b for b in buildings.values()}
        for r in rows:  # once per row: the duplicate lookup, the in-file check and the stored key use it
            r.values["name_key"] = normalise_name(r.values["company_name"])
        new_rows = [r.values for r in rows if not r.values.get("id")]
        duplicates = DuplicateIndex.load(
            session, [v["name_key"] for v in new_rows], [normalise_code(v.get("uscc")) for v in new_rows], ctx.today
        )
        seen: dict[str, int] = {}
        building_ids = {code: b.id for code, b in buildings.items()}  # read once, not once a row
        owner_ids: dict[int, int] = {}
        for r in rows:
            v = r.values
            lead_id = v.get("id")
            lead = known.get(lead_id) if lead_id else None
            if lead_id and lead is None:
                self.error(ctx, plan, r.row, "id", f"项目编号 {v['id']} 不存在")
                continue
            owner = self._owner(ctx, plan, r, v, owners, lead, promoter)
            if owner is None:
                continue
            owner_id = owner_ids.get(id(owner))
            if owner_id is None:
                owner_id = owner_ids[id(owner)] = owner.id
            codes_given = v.get("buildings") or []
            missing = [code for code in codes_given if code not in building_ids]
            if missing:
                self.error(ctx, plan, r.row, "buildings", f"楼宇编码 {'、'.join(missing)} 不存在")
                continue
            data = LeadInput(
                company_name=v["company_name"],
                uscc=v.get("uscc") or "",
                source=v["source"],
                industry_group=v.get("industry_group") or "",
                hq_type=v.get("hq_type") or "none",
                intended_area=v.get("intended_area"),
                expected_annual_tax=v.get("expected_annual_tax"),
                target_building_ids=[building_ids[c] for c in codes_given],
                priority=v.get("priority") or "normal",
                contact_name=v.get("contact_name") or "",
                contact_phone=v.get("contact_phone") or "",
                notes=v.get("notes") or "",
                next_followup_on=v.get("next_followup_on"),
                owner_id=owner_id,
            )
            try:
                clean = validate_lead(session, data, ctx.today, by_id)
            except DomainError as error:
                self.error(
                    ctx,
                    plan,
                    r.row,
                    FIELD_COLUMNS.get(error.field, error.field if error.field in v else "company_name"),
                    error.message,
                )
                continue
            values = clean.values  # a new dict of the check's own
            values["owner_id"] = owner_id
            values["target_building_ids"] = [b.id for b in clean.buildings] if "buildings" in v else None
            values["next_followup_on"] = v.get("next_followup_on")
            key = values["name_key"] = v["name_key"]
            if lead is None:
                if not self._history_ok(ctx, plan, r, values, first_days):
                    continue
                if not self._duplicate_ok(ctx, plan, r, values, key, seen, duplicates):
                    continue
            elif not self._unchanged_history(ctx, plan, r, lead):
                continue
            if key:
                seen.setdefault(key, r.row)
            if values["uscc"]:
                seen.setdefault(values["uscc"], r.row)
            if lead is not None:
                changes = diff(lead, values, FIELDS)
                if values["target_building_ids"] is not None and sorted(values["target_building_ids"]) != sorted(
                    b.id for b in lead.target_buildings
                ):
                    changes["目标楼宇"] = ("、".join(b.code for b in lead.target_buildings), "、".join(v["buildings"]))
                if values["owner_id"] != lead.owner_id:
                    changes["负责人"] = (lead.owner.username, owner.username)
                plan.rows.append(row_plan(r.row, f"#{lead.id}", values, lead, changes))
            else:
                plan.rows.append(RowPlan(r.row, "create", values["company_name"], values))

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

    def _history_ok(self, ctx, plan, r, values, first_days) -> bool:
        """A new lead's stage, its dates and what the stage needs; fills them into ``values``."""
        v, today = r.values, ctx.today
        stage = v.get("stage") or "lead"
        stage_on, created_on = v.get("stage_on"), v.get("created_on")
        problem = None
        if stage == "settled":
            problem = (
                "stage",
                "“入驻”须由楼宇管理员确认入驻申请后自动完成，不能导入；已落地的历史项目可导入为“注册落地”",
            )
        elif stage_on and stage_on > today:
            problem = ("stage_on", f"阶段日期 {stage_on} 晚于今天（{today}）")
        elif created_on and created_on > today:
            problem = ("created_on", f"立项日期 {created_on} 晚于今天（{today}）")
        elif stage == "lead" and stage_on and created_on and stage_on != created_on:
            problem = ("stage_on", f"阶段为线索时，阶段日期即立项日期：{stage_on} 与立项日期 {created_on} 不同")
        created = created_on or stage_on or today
        stage_on = stage_on or (created if stage == "lead" else today)
        if problem is None and stage_on < created:
            problem = ("stage_on", f"阶段日期 {stage_on} 早于立项日期 {created}")
        reason = (v.get("lost_reason") or "").strip()
        if problem is None and stage == "lost" and not reason:
            problem = ("lost_reason", "阶段为退出时须填写退出原因")
        if problem is None and reason and stage != "lost":
            problem = ("lost_reason", f"只有阶段为退出的项目填写退出原因（本行阶段为{stage_label(stage)}）")
        resume = values["next_followup_on"]
        if problem is None and stage == "paused" and (resume is None or resume <= today):
            problem = ("next_followup_on", f"阶段为搁置时，请在“下次跟进日期”填写恢复跟进日期（晚于今天 {today}）")
        if problem is not None:
            self.error(ctx, plan, r.row, *problem)
            return False
        values.update(stage=stage, stage_on=stage_on, created_on=created, lost_reason=reason or None)
        if stage == "lost":
            values["next_followup_on"] = None
        elif stage in ACTIVE_STAGES:
            values["next_followup_on"] = resume or today + timedelta(days=first_days)
        return True

    def _unchanged_history(self, ctx, plan, r, lead) -> bool:
        """On an update row the history columns may only repeat what is stored (or stay empty)."""
        v = r.values
        problem = None
        if v.get("stage") and v["stage"] != lead.stage:
            problem = ("stage", f"项目 #{lead.id} 当前阶段为{lead.stage_label}；已有项目的阶段请在看板或项目页面调整")
        elif v.get("stage_on"):
            problem = ("stage_on", "阶段日期只用于新建项目，更新已有项目时请留空")
        elif v.get("created_on") and v["created_on"] != lead.created_on:
            problem = ("created_on", f"项目 #{lead.id} 的立项日期为 {lead.created_on}，不能通过导入修改")
        elif v.get("lost_reason") and v["lost_reason"].strip() != (lead.lost_reason or ""):
            problem = ("lost_reason", f"项目 #{lead.id} 的退出原因不能通过导入修改，请在项目页面调整")
        if problem is not None:
            self.error(ctx, plan, r.row, *problem)
            return False
        return True

    def _duplicate_ok(self, ctx, plan, r, values, key, seen, duplicates: DuplicateIndex) -> bool:
        uscc = values["uscc"]
        matches = duplicates.matches(key, uscc)
        earlier = seen[key] if key and key in seen else seen[uscc] if uscc and uscc in seen else None
        if not matches and earlier is None:
            return True  # nearly every row
        confirmed = bool(r.values.get("confirm_duplicate"))
        found = [m.description for m in matches]
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
        wanted = {
            bid for rp in plan.rows if rp.action == "update" for bid in rp.values.get("target_building_ids") or []
        }
        buildings = (
            {b.id: b for b in session.scalars(select(Building).where(Building.id.in_(wanted)))} if wanted else {}
        )
        changes = []
        for rp in plan.rows:
            if rp.action != "update":
                continue
            v = rp.values
            lead = rp.target
            set_fields(lead, v, FIELDS)
            lead.owner_id = v["owner_id"]
            if v.get("target_building_ids") is not None:
                lead.target_buildings = [buildings[i] for i in v["target_building_ids"]]
            if v.get("next_followup_on"):
                lead.next_followup_on = v["next_followup_on"]
            changes.append(Change(rp.row, "update", "leads", lead.id, rp.key, rp.changes))
        session.flush()
        creates = [rp for rp in plan.rows if rp.action == "create"]
        for rp, lead_id in zip(creates, self._insert(ctx, creates)):
            changes.append(Change(rp.row, "create", "leads", lead_id, rp.key))
        return sorted(changes, key=lambda c: c.row)

    @staticmethod
    def _insert(ctx: Context, creates) -> list[int]:
        """The new leads, their target buildings and stage histories, in bulk; their ids in order."""
        session, today = ctx.session, ctx.today
        actor_id = ctx.user.id if ctx.user is not None else None
        ids = reserve_lead_ids(session, len(creates))
        now = datetime.now(timezone.utc)
        for start in range(0, len(creates), WRITE_CHUNK):
            chunk = creates[start : start + WRITE_CHUNK]
            chunk_ids = ids[start : start + WRITE_CHUNK]
            insert_rows(
                session,
                Lead.__table__,
                [dict(_lead_row(rp.values), id=lead_id, created_at=now) for rp, lead_id in zip(chunk, chunk_ids)],
            )
            links = [
                dict(lead_id=lead_id, building_id=bid)
                for rp, lead_id in zip(chunk, chunk_ids)
                for bid in rp.values.get("target_building_ids") or []
            ]
            insert_rows(session, lead_target_buildings, links)
            history = [
                entry
                for rp, lead_id in zip(chunk, chunk_ids)
                for entry in _history_rows(rp.values, lead_id, actor_id, today, now)
            ]
            insert_rows(session, LeadStageChange.__table__, history)
        if ids:
            # Statements bypass the flush that gives the pipeline figures a new token: give it here.
            bump(session, PIPELINE)
        return ids

    def export_items(self, session, scope, args, today, keep=None):
        """Every lead the list shows for these filters, in its order (not just one page)."""
        filters, _ = read_lead_filters(args)
        result = search_leads(
            session,
            filters,
            today,
            pipeline_rules(session),
            args.get("sort", "next"),
            args.get("dir") == "desc",
            page=1,
            per_page=10**9,
        )
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
        values["stage_on"] = None
        values["created_on"] = lead.created_on
        values["lost_reason"] = lead.lost_reason
        values["last_followup_on"] = lead.last_followup_on
        return values


def reserve_lead_ids(session, count: int) -> list[int]:
    """Ids for ``count`` new leads, so they can be inserted in bulk without reading ids back (an
    ordered RETURNING runs one statement per row on SQLite). PostgreSQL hands them out from the
    table's sequence; on SQLite the import's transaction holds the write lock (BEGIN IMMEDIATE),
    so nobody else inserts between reading the largest id and writing after it."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        stmt = sql_text("SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, :n)")
        return list(session.scalars(stmt, {"n": count}))
    largest = session.scalar(select(func.max(Lead.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _lead_row(v: dict) -> dict:
    """The ``leads`` row of a planned new lead (every row of a bulk insert has the same keys)."""
    stage, stage_on = v["stage"], v["stage_on"]
    row = {key: v.get(key) for key in FIELDS}
    row.update(
        name_key=v["name_key"],
        owner_id=v["owner_id"],
        stage=stage,
        created_on=v["created_on"],
        next_followup_on=v["next_followup_on"],
        lost_reason=v["lost_reason"],
        paused_until=v["next_followup_on"] if stage == "paused" else None,
        signed_on=stage_on if stage in ("signed", "registered") else None,
    )
    return row


def _history_rows(v: dict, lead_id: int, actor_id: int | None, today: date, now: datetime) -> list[dict]:
    """Created as 线索 on the 立项日期, then — for a later stage — moved there on the 阶段日期."""
    rows = [
        dict(
            lead_id=lead_id,
            user_id=actor_id,
            from_stage=None,
            to_stage="lead",
            note="导入新建",
            changed_at=stage_moment(v["created_on"], today, now),
        )
    ]
    stage = v["stage"]
    if stage != "lead":
        if stage == "lost":
            note = v["lost_reason"]
        elif stage == "paused":
            note = f"搁置至 {v['next_followup_on']}（导入历史阶段）"
        else:
            note = "导入历史阶段"
        rows.append(
            dict(
                lead_id=lead_id,
                user_id=actor_id,
                from_stage="lead",
                to_stage=stage,
                note=note,
                changed_at=stage_moment(v["stage_on"], today, now),
            )
        )
    return rows
