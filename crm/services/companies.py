"""Finding companies: search, filters, paging, where each one is a tenant now, and the buildings
each one is tied to (which decide who may see and change it: ``crm.permissions.Scope``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select

from crm.models import Building, Company, Lease
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS
from crm.services.bounds import QueryReader
from crm.services.occupancy import lease_active_on
from crm.services.text_match import contains_text

IDS_PER_QUERY = 5000  # companies of an import file asked about at once (bound parameters stay few)
SORTS = {
    "name": Company.name,
    "uscc": Company.uscc,
    "industry": Company.industry_group,
    "hq": Company.hq_type,
    "employees": Company.employees,
    "registered": Company.registered_in_district,
}


@dataclass
class CompanyFilters:
    q: str = ""
    industry_group: str = ""
    hq_type: str = ""
    registered: str = ""  # "", "yes", "no"
    building_ids: set[int] | None = None  # a manager's scope


def read_company_filters(args, building_ids: set[int] | None) -> tuple[CompanyFilters, QueryReader]:
    """The list's filters from a query string; the reader keeps what it dropped and the query
    the list's links carry."""
    query = QueryReader(args)
    filters = CompanyFilters(
        q=query.text("q", "搜索"),
        industry_group=query.choice("industry_group", "产业类别", INDUSTRY_GROUPS),
        hq_type=query.choice("hq_type", "总部类型", ["any", *HQ_TYPES]),
        registered=query.choice("registered", "属地注册", ("yes", "no")),
        building_ids=building_ids,
    )
    return filters, query


@dataclass
class CompanyPage:
    companies: list[Company]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


@dataclass(frozen=True)
class CompanyTies:
    """The buildings a company is tied to today: where it is registered (None: outside the
    district) and where it holds a lease it has not moved out of — running, not yet started, or
    past its end with no move-out recorded."""

    registered: int | None
    tenancy: frozenset[int]

    def with_registration(self, building_id: int | None) -> CompanyTies:
        return CompanyTies(building_id, self.tenancy)

    @property
    def buildings(self) -> frozenset[int]:
        return self.tenancy | ({self.registered} if self.registered is not None else set())


def tied_to_buildings(building_ids):
    """SQL: the company has (or had) a lease in one of ``building_ids`` or is registered in one."""
    return or_(
        exists().where(Lease.company_id == Company.id, Lease.building_id.in_(building_ids)),
        Company.registered_building_id.in_(building_ids),
    )


def company_ties(session, companies, day: date) -> dict[int, CompanyTies]:
    """Each company's ties on ``day`` (see ``CompanyTies``), in one query per ``IDS_PER_QUERY``."""
    companies = list(companies)
    tenancy: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(companies), IDS_PER_QUERY):
        ids = [c.id for c in companies[start : start + IDS_PER_QUERY]]
        stmt = select(Lease.company_id, Lease.building_id).where(
            Lease.company_id.in_(ids), or_(Lease.moved_out_on.is_(None), Lease.moved_out_on > day)
        )
        for company_id, building_id in session.execute(stmt):
            tenancy[company_id].add(building_id)
    return {c.id: CompanyTies(c.registered_building_id, frozenset(tenancy[c.id])) for c in companies}


def _filtered(filters: CompanyFilters):
    stmt = select(Company)
    text = filters.q.strip()
    if text:
        stmt = stmt.where(or_(contains_text(Company.name, text), contains_text(Company.uscc, text)))
    if filters.industry_group:
        stmt = stmt.where(Company.industry_group == filters.industry_group)
    if filters.hq_type == "any":
        stmt = stmt.where(Company.hq_type != "none")
    elif filters.hq_type:
        stmt = stmt.where(Company.hq_type == filters.hq_type)
    if filters.registered in ("yes", "no"):
        stmt = stmt.where(Company.registered_in_district.is_(filters.registered == "yes"))
    if filters.building_ids is not None:
        stmt = stmt.where(tied_to_buildings(filters.building_ids))
    return stmt


def search_companies(
    session, filters: CompanyFilters, sort="name", descending=False, page=1, per_page=50
) -> CompanyPage:
    ids, total = _page_of_ids(session, filters, sort, descending, page, per_page)
    found = {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))} if ids else {}
    return CompanyPage([found[i] for i in ids if i in found], total, page, per_page)


def _page_of_ids(session, filters: CompanyFilters, sort: str, descending: bool, page: int, per_page: int):
    """(ids of the page's companies in order, how many match) — the search the list repeats most."""
    stmt = _filtered(filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    column = SORTS.get(sort, Company.name)
    order = column.desc() if descending else column.asc()
    ids = session.scalars(
        stmt.with_only_columns(Company.id).order_by(order, Company.id).limit(per_page).offset((page - 1) * per_page)
    )
    return tuple(ids), total


def current_buildings(session, company_ids, day: date) -> dict[int, list[Building]]:
    """The buildings each company has an active lease in on ``day`` — one query for a page."""
    if not company_ids:
        return {}
    stmt = (
        select(Lease.company_id, Building)
        .join(Building, Building.id == Lease.building_id)
        .where(Lease.company_id.in_(company_ids), lease_active_on(day))
        .order_by(Building.code)
    )
    found: dict[int, list[Building]] = defaultdict(list)
    for company_id, building in session.execute(stmt):
        if building not in found[company_id]:
            found[company_id].append(building)
    return found
