"""The duplicate guard: is this company already an active lead or a current tenant? And the
admin's merge of two leads that turned out to be the same company.

Two companies match when their USCCs are equal or their names have the same key
(``crm.models.names.name_key``: NFKC, case, spaces, legal-form words and "(大连)" ignored). Leads
and companies store that key in an indexed column, so a check is an index lookup, never a scan
of every stored name; ``DuplicateIndex`` looks up a whole import file's names and codes in a few
queries (``IN`` lists by the thousand), however many leads and companies are stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from sqlalchemy import JSON, Text, bindparam, cast, func, literal_column, select, update

from crm.models import Building, Company, FollowUp, Lead, Lease, MoveInRequest, User
from crm.models.lead import ACTIVE_STAGES, stage_label
from crm.models.names import name_key
from crm.services.errors import DomainError
from crm.services.lead_changes import record_change
from crm.services.occupancy import lease_active_on

LOOKUP_CHUNK = 2000  # values per IN list, well under every database's bound-parameter limit


def normalise_name(name: str | None) -> str:
    """The comparison key of a company name (the same function the stored keys come from)."""
    return name_key(name)


def normalise_code(uscc: str | None) -> str | None:
    return (uscc or "").strip().upper() or None


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
        super().__init__(
            "该企业可能已在跟进或已入驻：" + "；".join(m.description for m in matches), field="company_name"
        )
        self.matches = matches


@dataclass(frozen=True)
class _Found:
    """An active lead or a current tenant, as the lookup found it."""

    kind: str
    id: int
    name: str
    key: str
    uscc: str | None
    owner: str | None = None
    stage: str | None = None
    buildings: str | None = None

    def match(self, uscc: str | None) -> DuplicateMatch:
        return DuplicateMatch(
            self.kind,
            self.id,
            self.name,
            self.uscc,
            by_uscc=bool(uscc and self.uscc == uscc),
            owner=self.owner,
            stage=self.stage,
            buildings=self.buildings,
        )


class DuplicateIndex:
    """The active leads and current tenants that share a key or a USCC with any of the names and
    codes given, looked up once; then ``matches`` answers per name without a query."""

    def __init__(self, found: Iterable[_Found]):
        self._by_key: dict[str, list[_Found]] = defaultdict(list)
        self._by_uscc: dict[str, list[_Found]] = defaultdict(list)
        for item in found:
            self._by_key[item.key].append(item)
            if item.uscc:
                self._by_uscc[item.uscc].append(item)

    @classmethod
    def load(cls, session, keys: Iterable[str], codes: Iterable[str], today: date) -> DuplicateIndex:
        """The index for these name keys (``name_key``) and USCCs (``normalise_code``)."""
        found: dict[tuple[str, int], _Found] = {}
        for column, values in (("key", sorted(set(keys) - {""})), ("uscc", sorted(set(codes) - {None, ""}))):
            for start in range(0, len(values), LOOKUP_CHUNK):
                chunk = values[start : start + LOOKUP_CHUNK]
                for item in (*_active_leads(session, column, chunk), *_current_tenants(session, column, chunk, today)):
                    found[(item.kind, item.id)] = item
        return cls(found.values())

    def matches(self, key: str, code: str | None, exclude_lead_id: int | None = None) -> list[DuplicateMatch]:
        """Leads first, then tenants, each by id, that share the name key or the USCC."""
        by_key = self._by_key.get(key, []) if key else []
        by_uscc = self._by_uscc.get(code, []) if code else []
        if not by_key and not by_uscc:
            return []  # most names of a file: nothing to sort out
        hits = {(item.kind, item.id): item for item in by_key + by_uscc}
        ordered = sorted(hits.values(), key=lambda item: (item.kind != "lead", item.id))
        return [item.match(code) for item in ordered if not (item.kind == "lead" and item.id == exclude_lead_id)]


def find_duplicates(
    session, name: str, uscc: str | None, today: date, exclude_lead_id: int | None = None
) -> list[DuplicateMatch]:
    """Active leads and current tenants whose USCC or name key equals the given ones."""
    key, code = name_key(name), normalise_code(uscc)
    if not key and not code:
        return []
    return DuplicateIndex.load(session, [key], [code], today).matches(key, code, exclude_lead_id)


# Both lookups select by the indexed key or USCC alone and sort out the rest in Python: with a
# stage or lease condition in the same query, planners start from those columns' indexes and scan.


def _among(session, column, values: list[str]):
    """``column`` is one of ``values``, and the parameters to run it with: on PostgreSQL and
    SQLite the values travel as one JSON text parameter (``json_array_elements_text``,
    ``json_each``), not as one parameter each, which SQLAlchemy would name and bind one by one."""
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        listed = select(func.json_array_elements_text(cast(bindparam("values", type_=Text), JSON)))
        return column.in_(listed), {"values": json.dumps(values, ensure_ascii=False)}
    if dialect == "sqlite":
        listed = select(literal_column("value")).select_from(func.json_each(bindparam("values")))
        return column.in_(listed), {"values": json.dumps(values, ensure_ascii=False)}
    return column.in_(bindparam("values", expanding=True)), {"values": values}


def _active_leads(session, column: str, values: list[str]) -> list[_Found]:
    wanted, params = _among(session, Lead.name_key if column == "key" else Lead.uscc, values)
    stmt = (
        select(Lead.id, Lead.company_name, Lead.name_key, Lead.uscc, Lead.stage, Lead.merged_into_id, User.display_name)
        .join(User, User.id == Lead.owner_id)
        .where(wanted)
    )
    return [
        _Found("lead", lead_id, name, key, code, owner=owner, stage=stage)
        for lead_id, name, key, code, stage, merged, owner in session.execute(stmt, params)
        if stage in ACTIVE_STAGES and merged is None
    ]


def _current_tenants(session, column: str, values: list[str], today: date) -> list[_Found]:
    wanted, params = _among(session, Company.name_key if column == "key" else Company.uscc, values)
    companies = {
        row.id: row
        for row in session.execute(
            select(Company.id, Company.name, Company.name_key, Company.uscc).where(wanted), params
        )
    }
    if not companies:
        return []
    stmt = (
        select(Lease.company_id, func.min(Building.name), func.count(func.distinct(Building.id)))
        .join(Building, Building.id == Lease.building_id)
        .where(Lease.company_id.in_(companies), lease_active_on(today))
        .group_by(Lease.company_id)
    )
    found = []
    for company_id, building, count in session.execute(stmt):
        company = companies[company_id]
        where = building + (f" 等 {count} 栋楼宇" if count > 1 else "")
        found.append(_Found("tenant", company_id, company.name, company.name_key, company.uscc, buildings=where))
    return found


# ------------------------------------------------------------------------------------------
# Merging

FILLABLE = [
    "uscc",
    "industry_group",
    "intended_area",
    "expected_annual_tax",
    "contact_name",
    "contact_phone",
    "company_id",
]


def merge_leads(session, keep: Lead, drop: Lead, actor: User, today: date) -> Lead:
    """Merge ``drop`` into ``keep``: its follow-ups move over, blanks of ``keep`` are filled from
    it, target buildings are united, and both histories record the merge. ``drop`` ends as 退出
    with ``merged_into`` set, so it leaves every list and figure."""
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
    keep.target_buildings = sorted(
        {b.id: b for b in keep.target_buildings + drop.target_buildings}.values(), key=lambda b: b.code
    )
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
    record_change(
        session,
        keep,
        actor,
        keep.stage,
        keep.stage,
        f"合并：项目 #{drop.id}「{drop.company_name}」并入本项目，转入跟进记录 {moved} 条",
    )
    record_change(session, drop, actor, from_stage, "lost", f"已合并至项目 #{keep.id}「{keep.company_name}」")
    session.flush()
    return keep
