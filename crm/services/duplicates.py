"""The duplicate guard: is this company already an active lead or a current tenant? And the
admin's merge of two leads that turned out to be the same company.

Two names match when they are equal after normalising: legal-form words (有限责任公司, 有限公司,
股份, 集团), the bracketed place "(大连)" in either bracket width, spaces and letter case are
removed. The same normalisation runs in Python (for the typed name) and in SQL (over stored
names, nested REPLACE calls that SQLite and PostgreSQL both have), so the database does the
comparison and nothing is pulled into Python to search.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, update

from crm.models import Building, Company, FollowUp, Lead, Lease, MoveInRequest, User
from crm.models.lead import ACTIVE_STAGES, stage_label
from crm.services.errors import DomainError
from crm.services.occupancy import lease_active_on

# Longest first: 有限责任公司 must go before 有限公司 would leave 责任 behind.
REMOVED_WORDS = ["有限责任公司", "有限公司", "股份", "集团", "(大连)", "（大连）", " ", "\u3000"]


def normalise_name(name: str | None) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    for word in REMOVED_WORDS:
        text = text.replace(word, "")
    return text


def normalised_sql(column):
    expr = func.lower(column)
    for word in REMOVED_WORDS:
        expr = func.replace(expr, word, "")
    return expr


@dataclass
class DuplicateMatch:
    kind: str  # "lead" | "tenant"
    id: int
    name: str
    uscc: str | None
    by_uscc: bool
    owner: str | None = None  # the lead's promoter
    stage: str | None = None
    buildings: str | None = None  # where the tenant is

    @property
    def description(self) -> str:
        how = "统一社会信用代码相同" if self.by_uscc else "企业名称相同"
        if self.kind == "lead":
            return f"招商项目 #{self.id}「{self.name}」（{stage_label(self.stage)}，负责人 {self.owner}）— {how}"
        return f"在驻企业「{self.name}」（{self.buildings}）— {how}"


class DuplicatesFound(DomainError):
    """The company matches an active lead or a current tenant; shown before anything is saved."""

    def __init__(self, matches: list[DuplicateMatch]):
        super().__init__("该企业可能已在跟进或已入驻：" + "；".join(m.description for m in matches), field="company_name")
        self.matches = matches


def find_duplicates(session, name: str, uscc: str | None, today: date, exclude_lead_id: int | None = None) -> list[DuplicateMatch]:
    """Active leads and current tenants whose USCC or normalised name equals the given ones."""
    key = normalise_name(name)
    uscc = (uscc or "").strip().upper() or None
    if not key and not uscc:
        return []
    return _lead_matches(session, key, uscc, exclude_lead_id) + _tenant_matches(session, key, uscc, today)


def _match_condition(name_col, uscc_col, key, uscc):
    conditions = []
    if key:
        conditions.append(normalised_sql(name_col) == key)
    if uscc:
        conditions.append(uscc_col == uscc)
    return or_(*conditions)


def _lead_matches(session, key, uscc, exclude_lead_id) -> list[DuplicateMatch]:
    stmt = (
        select(Lead.id, Lead.company_name, Lead.uscc, Lead.stage, User.display_name)
        .join(User, User.id == Lead.owner_id)
        .where(Lead.stage.in_(ACTIVE_STAGES), Lead.merged_into_id.is_(None), _match_condition(Lead.company_name, Lead.uscc, key, uscc))
        .order_by(Lead.id)
    )
    if exclude_lead_id is not None:
        stmt = stmt.where(Lead.id != exclude_lead_id)
    return [
        DuplicateMatch("lead", lead_id, name, code, by_uscc=bool(uscc and code == uscc), owner=owner, stage=stage)
        for lead_id, name, code, stage, owner in session.execute(stmt)
    ]


def _tenant_matches(session, key, uscc, today) -> list[DuplicateMatch]:
    stmt = (
        select(Company.id, Company.name, Company.uscc, func.min(Building.name), func.count(func.distinct(Building.id)))
        .join(Lease, Lease.company_id == Company.id)
        .join(Building, Building.id == Lease.building_id)
        .where(lease_active_on(today), _match_condition(Company.name, Company.uscc, key, uscc))
        .group_by(Company.id, Company.name, Company.uscc)
        .order_by(Company.id)
    )
    matches = []
    for company_id, name, code, building, count in session.execute(stmt):
        where = building + (f" 等 {count} 栋楼宇" if count > 1 else "")
        matches.append(DuplicateMatch("tenant", company_id, name, code, by_uscc=bool(uscc and code == uscc), buildings=where))
    return matches


# ------------------------------------------------------------------------------------------
# Merging

FILLABLE = ["uscc", "industry_group", "intended_area", "expected_annual_tax", "contact_name", "contact_phone",
            "company_id"]


def merge_leads(session, keep: Lead, drop: Lead, actor: User, today: date) -> Lead:
    """Merge ``drop`` into ``keep``: its follow-ups move over, blanks of ``keep`` are filled from
    it, target buildings are united, and both histories record the merge. ``drop`` ends as 退出
    with ``merged_into`` set, so it leaves every list and figure."""
    from crm.services.leads import record_change

    if keep.id == drop.id:
        raise DomainError("不能把项目与自己合并", field="other_id")
    for lead in (keep, drop):
        if lead.merged_into_id is not None:
            raise DomainError(f"项目 #{lead.id} 已合并至项目 #{lead.merged_into_id}", field="other_id")
    if drop.stage == "settled":
        raise DomainError(f"项目 #{drop.id} 已入驻，不能被合并到其他项目", field="other_id")
    pending = session.scalar(select(func.count()).select_from(MoveInRequest).where(MoveInRequest.lead_id == drop.id))
    if pending:
        raise DomainError(f"项目 #{drop.id} 已有入驻申请，不能被合并", field="other_id")

    moved = session.execute(update(FollowUp).where(FollowUp.lead_id == drop.id).values(lead_id=keep.id)).rowcount
    session.expire(keep, ["followups"])
    for name in FILLABLE:
        if getattr(keep, name) is None and getattr(drop, name) is not None:
            setattr(keep, name, getattr(drop, name))
    keep.target_buildings = sorted({b.id: b for b in keep.target_buildings + drop.target_buildings}.values(), key=lambda b: b.code)
    if drop.last_followup_on and (keep.last_followup_on is None or drop.last_followup_on > keep.last_followup_on):
        keep.last_followup_on = drop.last_followup_on
    extra = f"（原备注：{drop.notes}）" if drop.notes else ""
    if extra:
        keep.notes = ((keep.notes or "") + "\n" + f"合并自项目 #{drop.id}{extra}").strip()

    from_stage = drop.stage
    drop.stage = "lost"
    drop.lost_reason = f"重复项目，已合并至项目 #{keep.id}"
    drop.merged_into_id = keep.id
    drop.next_followup_on = None
    record_change(session, keep, actor, keep.stage, keep.stage,
                  f"合并：项目 #{drop.id}「{drop.company_name}」并入本项目，转入跟进记录 {moved} 条")
    record_change(session, drop, actor, from_stage, "lost", f"已合并至项目 #{keep.id}「{keep.company_name}」")
    session.flush()
    return keep
