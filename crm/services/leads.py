"""Leads (招商项目): creating and editing them, stage moves with the bureau's rules, reassigning
owners, the filtered list, and the deadline flags every page shows.

Stage rules: a settled lead (入驻) is final; ``settled`` itself is reached only when a building's
manager confirms the move-in (see ``services.landing``); ``lost`` needs a reason and ``paused`` a
resume date. Every move is recorded with who and when. A move carries the version the user saw:
when the lead changed since, the move is refused with what changed (two people dragging the same
card — the second is told, nothing is overwritten).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.models import Building, Lead, LeadStageChange, User, lead_target_buildings
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, PRIORITIES, SOURCES, STAGES, stage_label
from crm.cache import derived
from crm.models.setting import all_settings
from crm.cache.versions import PIPELINE
from crm.services import bounds
from crm.services.duplicates import DuplicatesFound, find_duplicates
from crm.services.errors import DomainError, Problems
from crm.services.lead_changes import record_change
from crm.services.text_match import contains_text
from crm.services.uscc import normalise_uscc, uscc_problem

ALL_STAGES = list(STAGES) + list(OFF_LINE_STAGES)
STAGE_ORDER = {stage: index for index, stage in enumerate(STAGES)}


# ------------------------------------------------------------------------------------------
# The bureau's deadlines (settings, changeable by an admin)


@dataclass(frozen=True)
class PipelineRules:
    first_followup_days: int = 3
    stale_days: int = 14
    signed_register_days: int = 90
    area_tolerance: Decimal = Decimal("0.20")


def pipeline_rules(session) -> PipelineRules:
    settings = all_settings(session)
    return PipelineRules(
        first_followup_days=int(settings["lead_first_followup_days"]),
        stale_days=int(settings["lead_stale_days"]),
        signed_register_days=int(settings["lead_signed_register_days"]),
        area_tolerance=Decimal(settings["matching_area_tolerance"]),
    )


FLAG_LABELS = {
    "first_followup_late": "首次跟进超期",
    "stale": "久未跟进",
    "signed_not_registered": "签约未注册",
    "followup_overdue": "跟进逾期",
}


def lead_flags(lead: Lead, today: date, rules: PipelineRules) -> list[str]:
    """The deadline flags of one lead (codes of FLAG_LABELS), from its own columns only."""
    if lead.stage not in ACTIVE_STAGES:
        return []
    flags = []
    if lead.last_followup_on is None:
        if lead.created_on + timedelta(days=rules.first_followup_days) < today:
            flags.append("first_followup_late")
    elif lead.last_followup_on + timedelta(days=rules.stale_days) < today:
        flags.append("stale")
    if (
        lead.stage == "signed"
        and lead.signed_on
        and lead.signed_on + timedelta(days=rules.signed_register_days) < today
    ):
        flags.append("signed_not_registered")
    if lead.next_followup_on is not None and lead.next_followup_on < today:
        flags.append("followup_overdue")
    return flags


def flag_rules(today: date, rules: PipelineRules) -> dict[str, tuple[tuple[str, ...], object]]:
    """{flag: (the stages it applies to, the SQL condition on the lead's own dates)}: the flags
    of ``lead_flags`` for the database. Kept apart so a count per stage can apply the stages
    after the database counted the dates (``crm.services.pipeline``)."""
    return {
        "first_followup_late": (
            ACTIVE_STAGES,
            and_(
                Lead.last_followup_on.is_(None),
                Lead.created_on < today - timedelta(days=rules.first_followup_days),
            ),
        ),
        "stale": (ACTIVE_STAGES, Lead.last_followup_on < today - timedelta(days=rules.stale_days)),
        "signed_not_registered": (("signed",), Lead.signed_on < today - timedelta(days=rules.signed_register_days)),
        "followup_overdue": (ACTIVE_STAGES, Lead.next_followup_on < today),
    }


def flag_conditions(today: date, rules: PipelineRules) -> dict[str, object]:
    """The same flags as SQL conditions, for counting and filtering in the database."""
    return {name: and_(Lead.stage.in_(stages), dates) for name, (stages, dates) in flag_rules(today, rules).items()}


# ------------------------------------------------------------------------------------------
# Creating and editing


@dataclass
class LeadInput:
    company_name: str = ""
    uscc: str = ""
    source: str = ""
    industry_group: str = ""
    hq_type: str = "none"
    intended_area: str | Decimal | None = None
    expected_annual_tax: str | Decimal | None = None
    target_building_ids: list[int] = field(default_factory=list)
    priority: str = "normal"
    contact_name: str = ""
    contact_phone: str = ""
    notes: str = ""
    next_followup_on: date | None = None
    owner_id: int | None = None


def clean_text(text) -> str:
    # NFKC: full-width letters, digits and brackets typed by a Chinese input method become ASCII.
    if not text:
        return ""
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()


ONE = Decimal(1)
_LEAD_LENGTHS: tuple[int | None, int | None, int | None] | None = None


def _lengths() -> tuple[int | None, int | None, int | None]:
    """The stored lengths of a lead's company name, contact and phone (read once)."""
    global _LEAD_LENGTHS
    if _LEAD_LENGTHS is None:
        _LEAD_LENGTHS = tuple(
            bounds.column_length(column) for column in (Lead.company_name, Lead.contact_name, Lead.contact_phone)
        )
    return _LEAD_LENGTHS


def typed_name(text) -> str:
    """A company name as the user typed it, trimmed and with runs of spaces made one: the name on
    the business licence keeps its full-width brackets; comparisons use ``names.name_key``."""
    return " ".join((text or "").split())


def _number(value, field_name: str, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return bounds.decimal_of(value, label, field_name)


@dataclass
class CleanLead:
    values: dict
    buildings: list[Building]


def validate_lead(
    session, data: LeadInput, today: date, known_buildings: dict[int, Building] | None = None
) -> CleanLead:
    """Check every field; returns the values to store or raises DomainError naming the field
    (``DomainErrors`` naming each, when several are wrong, so a form shows them all at once).
    ``known_buildings`` (by id) spares a query per lead when a whole file is checked.

    The company name is stored as typed (trimmed, spaces collapsed): the duplicate check compares
    names through ``names.name_key``, so full-width brackets need no rewriting to be matched."""
    problems = Problems()
    name_max, contact_max, phone_max = _lengths()
    name = typed_name(data.company_name)
    if not name:
        problems.add("请填写企业名称", "company_name")
    elif name_max is not None and len(name) > name_max:
        problems.check(bounds.check_length, name, name_max, "企业名称", "company_name")
    uscc = normalise_uscc(clean_text(data.uscc)) or None
    if uscc is not None and (problem := uscc_problem(uscc)):
        problems.add(problem, "uscc")
    if data.source not in SOURCES:
        problems.add(f"请选择项目来源：{'、'.join(SOURCES)}", "source")
    if data.industry_group and data.industry_group not in INDUSTRY_GROUPS:
        problems.add("产业类别不在 11 个重点产业之内", "industry_group")
    if data.hq_type not in HQ_TYPES:
        problems.add("总部类型无效", "hq_type")
    if data.priority not in PRIORITIES:
        problems.add("优先级无效", "priority")
    area = data.intended_area
    if area is None or (area.__class__ is Decimal and area.is_finite() and 0 <= area <= bounds.MAX_AREA):
        # What the checks below give for a number in range (an import's cells are read so).
        area = None if area is None else area.quantize(bounds.CENT, ROUND_HALF_UP)
    else:
        area = problems.check(_number, area, "intended_area", "意向面积")
        area = None if area is None else problems.check(bounds.check_area, area, "意向面积", "intended_area")
    tax = data.expected_annual_tax
    if tax is None or (tax.__class__ is Decimal and tax.is_finite() and 0 <= tax <= bounds.MAX_TAX):
        tax = None if tax is None else (tax * ONE).quantize(bounds.CENT, ROUND_HALF_UP)  # as check_amount
    else:
        tax = problems.check(_number, tax, "expected_annual_tax", "预计年税收")
        tax = (
            None
            if tax is None
            else problems.check(bounds.check_amount, tax, "预计年税收", "expected_annual_tax", bounds.MAX_TAX)
        )
    followup = data.next_followup_on
    if followup is not None and (
        problems.check(bounds.check_day, followup, "下次跟进日期", "next_followup_on") is not None and followup < today
    ):
        problems.add(f"下次跟进日期 {followup} 早于今天（{today}），请选今天或以后的日期", "next_followup_on")
    ids = data.target_building_ids or []
    if len(ids) > 1:
        ids = sorted(set(ids))
    if known_buildings is not None:
        buildings = [known_buildings[i] for i in ids if i in known_buildings]
    else:
        buildings = list(session.scalars(select(Building).where(Building.id.in_(ids)))) if ids else []
    if len(buildings) != len(ids):
        problems.add("所选目标楼宇不存在", "target_building_ids")
    notes = data.notes
    values = dict(
        company_name=name,
        uscc=uscc,
        source=data.source,
        industry_group=data.industry_group or None,
        hq_type=data.hq_type,
        intended_area=area,
        expected_annual_tax=tax,
        priority=data.priority,
        contact_name=clean_text(data.contact_name) or None,
        contact_phone=clean_text(data.contact_phone) or None,
        notes=(notes.strip() if notes else notes) or None,
    )
    for key, label, maximum in (
        ("contact_name", "联系人", contact_max),
        ("contact_phone", "联系电话", phone_max),
        ("notes", "备注", bounds.MAX_NOTES),
    ):
        value = values[key]
        if value is not None and maximum is not None and len(value) > maximum:
            problems.check(bounds.check_length, value, maximum, label, key)
    problems.raise_any()
    return CleanLead(values, buildings)


def promoter(session, user_id) -> User:
    user = session.get(User, user_id) if user_id else None
    if user is None or user.role != "promoter" or not user.active:
        raise DomainError("负责人应为在职的招商专员", field="owner_id")
    return user


def check_duplicates(session, name, uscc, exclude_lead_id, today, confirmed: bool) -> None:
    if confirmed:
        return
    matches = find_duplicates(session, name, uscc, today, exclude_lead_id=exclude_lead_id)
    if matches:
        raise DuplicatesFound(matches)


def create_lead(session, data: LeadInput, actor: User, today: date, confirm_duplicate: bool = False) -> Lead:
    """A new lead at stage 线索; the next follow-up defaults to the first-follow-up deadline.

    A promoter's lead is their own; an admin names the owner. When the company looks like an
    active lead or a current tenant, ``DuplicatesFound`` shows the matches unless the user has
    seen them and confirmed.
    """
    clean = validate_lead(session, data, today)
    owner = actor if actor.role == "promoter" else promoter(session, data.owner_id)
    check_duplicates(session, clean.values["company_name"], clean.values["uscc"], None, today, confirm_duplicate)
    rules = pipeline_rules(session)
    lead = Lead(
        **clean.values,
        owner=owner,
        stage="lead",
        created_on=today,
        target_buildings=clean.buildings,
        next_followup_on=data.next_followup_on or today + timedelta(days=rules.first_followup_days),
    )
    session.add(lead)
    session.flush()
    record_change(session, lead, actor, None, "lead", "新建项目")
    session.flush()
    return lead


def check_version(session, lead: Lead, version) -> None:
    """Refuse a change built on an older copy of the lead, saying who changed it to what."""
    if version is None:
        return
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise DomainError("表单已过期或被改动，请刷新页面后重试", field="version") from None
    if version == lead.version:
        return
    last = session.scalar(
        select(LeadStageChange)
        .where(LeadStageChange.lead_id == lead.id)
        .order_by(LeadStageChange.changed_at.desc(), LeadStageChange.id.desc())
        .limit(1)
    )
    who = f"{last.user.display_name} " if last is not None and last.user is not None else "其他人"
    raise DomainError(
        f"该项目刚被{who}修改过（当前阶段：{lead.stage_label}），您看到的不是最新内容。请刷新后再操作。",
        field="version",
    )


def update_lead(
    session, lead: Lead, data: LeadInput, actor: User, today: date, version=None, confirm_duplicate: bool = False
) -> Lead:
    check_version(session, lead, version)
    clean = validate_lead(session, data, today)
    changed_identity = (clean.values["company_name"], clean.values["uscc"]) != (lead.company_name, lead.uscc)
    if changed_identity:
        check_duplicates(session, clean.values["company_name"], clean.values["uscc"], lead.id, today, confirm_duplicate)
    for key, value in clean.values.items():
        setattr(lead, key, value)
    lead.target_buildings = clean.buildings
    if data.next_followup_on is not None:
        lead.next_followup_on = data.next_followup_on
    session.flush()
    return lead


class BackwardWithoutReason(DomainError):
    """A move back down the line without its reason (the API answers it with 422)."""


def is_backward(from_stage: str, to_stage: str) -> bool:
    """A move down the line (接洽 → 线索): allowed, but it needs a reason, which the history keeps.
    Moves to and from 搁置 and 退出 are off the line, never backward."""
    return from_stage in STAGE_ORDER and to_stage in STAGE_ORDER and STAGE_ORDER[to_stage] < STAGE_ORDER[from_stage]


def next_stage(stage: str) -> str | None:
    """The stage a lead normally moves to next (what the stage form offers first); None at the end
    of the line or off it. 入驻 is reached through landing, never offered."""
    if stage not in STAGE_ORDER:
        return None
    following = [s for s in STAGES if STAGE_ORDER[s] == STAGE_ORDER[stage] + 1]
    return following[0] if following and following[0] != "settled" else None


def move_stage(
    session,
    lead: Lead,
    to_stage: str,
    actor: User,
    today: date,
    version=None,
    reason: str | None = None,
    resume_on: date | None = None,
    via_landing: bool = False,
) -> Lead:
    """Move a lead to another stage, following the rules in the module docstring."""
    check_version(session, lead, version)
    if to_stage not in ALL_STAGES:
        raise DomainError(f"阶段 {to_stage!r} 不存在", field="stage")
    if to_stage == lead.stage:
        raise DomainError(f"项目已处于「{lead.stage_label}」阶段", field="stage")
    if lead.merged_into_id is not None:
        raise DomainError(f"该项目已合并至项目 #{lead.merged_into_id}，不能再改变阶段", field="stage")
    if lead.stage == "settled":
        raise DomainError("项目已入驻，不能再退回其他阶段", field="stage")
    if to_stage == "settled" and not via_landing:
        raise DomainError("「入驻」需先登记落地楼宇和单元，由楼宇管理员确认入驻申请后自动完成", field="stage")
    note = None
    reason = (reason or "").strip()
    backward = is_backward(lead.stage, to_stage)
    if backward and not reason:
        raise BackwardWithoutReason(
            f"从「{lead.stage_label}」退回「{stage_label(to_stage)}」须填写退回原因", field="reason"
        )
    if to_stage == "lost":
        if not reason:
            raise DomainError("项目退出须填写原因", field="reason")
        lead.lost_reason = reason
        note = reason
    elif to_stage == "paused":
        if resume_on is None:
            raise DomainError("项目搁置须填写恢复跟进日期", field="resume_on")
        if resume_on <= today:
            raise DomainError(f"恢复跟进日期应晚于今天（{today}）", field="resume_on")
        lead.paused_until = resume_on
        lead.next_followup_on = resume_on
        note = f"搁置至 {resume_on}" + (f"：{reason}" if reason else "")
    if to_stage in ACTIVE_STAGES or to_stage == "settled":
        lead.paused_until = None
        lead.lost_reason = None
        note = f"退回原因：{reason}" if backward else (reason or None)
    if to_stage in ("signed", "registered", "settled") and lead.signed_on is None:
        lead.signed_on = today
    from_stage = lead.stage
    lead.stage = to_stage
    record_change(session, lead, actor, from_stage, to_stage, note)
    session.flush()
    return lead


def reassign_owner(session, lead: Lead, new_owner_id: int, actor: User) -> Lead:
    owner = promoter(session, new_owner_id)
    if owner.id == lead.owner_id:
        raise DomainError(f"{owner.display_name} 已是该项目的负责人", field="owner_id")
    note = f"负责人由 {lead.owner.display_name} 改为 {owner.display_name}"
    lead.owner = owner
    record_change(session, lead, actor, lead.stage, lead.stage, note)
    session.flush()
    return lead


# ------------------------------------------------------------------------------------------
# The list

SORTS = {
    "company": Lead.company_name,
    "stage": Lead.stage,
    "owner": Lead.owner_id,
    "source": Lead.source,
    "industry": Lead.industry_group,
    "area": Lead.intended_area,
    "tax": Lead.expected_annual_tax,
    "next": Lead.next_followup_on,
    "last": Lead.last_followup_on,
    "created": Lead.created_on,
    "priority": Lead.priority,
}


@dataclass
class LeadFilters:
    stage: str = ""  # a stage code, "active", or "" for every lead not merged away
    owner_id: int | None = None
    source: str = ""
    industry_group: str = ""
    hq_type: str = ""
    building_id: int | None = None
    overdue: str = (
        ""  # "" | "followup" (next date passed) | "deadline" (any deadline flag) | "never" (no follow-up yet)
    )
    q: str = ""


OVERDUE_FILTERS = ("followup", "deadline", "never")


def read_lead_filters(args, me: int | None = None) -> tuple[LeadFilters, bounds.QueryReader]:
    """The list's filters from a query string (``owner=me`` is ``me``); the reader keeps what
    it dropped and the query the list's links carry."""
    query = bounds.QueryReader(args)
    if (args.get("owner") or "").strip() == "me" and me is not None:
        owner_id = me
        query.keep("owner", "me")
    else:
        owner_id = query.id("owner", "负责人")
    filters = LeadFilters(
        stage=query.choice("stage", "阶段", ["active", *STAGES, *OFF_LINE_STAGES]),
        owner_id=owner_id,
        source=query.choice("source", "项目来源", SOURCES),
        industry_group=query.choice("industry_group", "产业类别", INDUSTRY_GROUPS),
        hq_type=query.choice("hq_type", "总部类型", ["any", *HQ_TYPES]),
        building_id=query.id("building", "目标楼宇"),
        overdue=query.choice("overdue", "预警", OVERDUE_FILTERS),
        q=query.text("q", "搜索"),
    )
    return filters, query


@dataclass
class LeadPage:
    leads: list[Lead]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


def filtered_leads(filters: LeadFilters, today: date, rules: PipelineRules):
    stmt = select(Lead).where(Lead.merged_into_id.is_(None))
    if filters.stage == "active":
        stmt = stmt.where(Lead.stage.in_(ACTIVE_STAGES))
    elif filters.stage:
        stmt = stmt.where(Lead.stage == filters.stage)
    if filters.owner_id:
        stmt = stmt.where(Lead.owner_id == filters.owner_id)
    if filters.source:
        stmt = stmt.where(Lead.source == filters.source)
    if filters.industry_group:
        stmt = stmt.where(Lead.industry_group == filters.industry_group)
    if filters.hq_type == "any":
        stmt = stmt.where(Lead.hq_type != "none")
    elif filters.hq_type:
        stmt = stmt.where(Lead.hq_type == filters.hq_type)
    if filters.building_id:
        stmt = stmt.where(
            Lead.id.in_(
                select(lead_target_buildings.c.lead_id).where(
                    lead_target_buildings.c.building_id == filters.building_id
                )
            )
        )
    conditions = flag_conditions(today, rules)
    if filters.overdue == "followup":
        stmt = stmt.where(conditions["followup_overdue"])
    elif filters.overdue == "deadline":
        stmt = stmt.where(
            or_(conditions["first_followup_late"], conditions["stale"], conditions["signed_not_registered"])
        )
    elif filters.overdue == "never":  # the "never followed up" list of my work, in full
        stmt = stmt.where(Lead.last_followup_on.is_(None), Lead.stage.in_(ACTIVE_STAGES))
    text = clean_text(filters.q)
    if text:
        # Names are stored as typed, with full-width brackets or half-width ones: look for both.
        full_width = text.replace("(", "（").replace(")", "）")
        by_name = [contains_text(Lead.company_name, t) for t in dict.fromkeys((text, full_width))]
        stmt = stmt.where(or_(*by_name, contains_text(Lead.uscc, text)))
    return stmt


def search_leads(
    session, filters: LeadFilters, today: date, rules: PipelineRules, sort="next", descending=False, page=1, per_page=50
) -> LeadPage:
    ids, total = _page_of_ids(session, filters, today, rules, sort, descending, page, per_page)
    found = (
        {
            lead.id: lead
            for lead in session.scalars(
                select(Lead)
                .where(Lead.id.in_(ids))
                .options(joinedload(Lead.owner), selectinload(Lead.target_buildings))
            )
        }
        if ids
        else {}
    )
    return LeadPage([found[i] for i in ids if i in found], total, page, per_page)


@derived(PIPELINE)  # counting and sorting every lead grows with the leads; reading 50 of them does not
def _page_of_ids(
    session,
    filters: LeadFilters,
    today: date,
    rules: PipelineRules,
    sort: str,
    descending: bool,
    page: int,
    per_page: int,
) -> tuple[tuple[int, ...], int]:
    """(ids of the page's leads in order, how many match)."""
    stmt = filtered_leads(filters, today, rules)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    column = SORTS.get(sort, Lead.next_followup_on)
    order = column.desc() if descending else column.asc()
    # NULLs last either way: a lead without a date or figure is not the most urgent nor the biggest.
    ids = session.scalars(
        stmt.with_only_columns(Lead.id)
        .order_by(column.is_(None), order, Lead.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return tuple(ids), total


def lead_history(session, lead: Lead) -> list[LeadStageChange]:
    return list(
        session.scalars(
            select(LeadStageChange)
            .where(LeadStageChange.lead_id == lead.id)
            .options(joinedload(LeadStageChange.user))
            .order_by(LeadStageChange.changed_at.desc(), LeadStageChange.id.desc())
        )
    )


def promoters(session) -> list[User]:
    return list(
        session.scalars(select(User).where(User.role == "promoter", User.active.is_(True)).order_by(User.username))
    )
