"""属地化: which companies occupy without registering (or registering without paying tax) in the
district, which are registered here without occupying, and the work of bringing them home.

Definitions (DESIGN.md 属地化), all on a date D:

- **入驻不注册** (``occupying_unregistered``): tenants — an active lease on D in a district building,
  on a unit that counts (exists, not self-use) — not registered in the district on D (the dated
  flag, ``district_flags.flag_on``). **注册不纳税** (``occupying_untaxed``): such tenants registered on D
  but not taxed in the district on D.
- **注册不入驻** (``registered_not_occupying``): companies registered on D at a district building
  (``registered_building_id`` set and the flag on) with no active lease in the district on D —
  虚拟注册, or moved away; a visit verifies which.
- **Tax at stake (估算)** = Σ over the company's buildings of its occupied area there × the building's
  tax per m² (tax of the 12 complete months before D ÷ the building's occupied area on D).

A target appears with its work item's state (待核实 when nobody has touched it yet). Items are made
when someone works a target; a completed (已完成) or 不可迁 item stays listed under its state even
when its company is no longer a target. Completing an 入驻不注册 (注册不纳税) item sets the company's
属地注册 (属地纳税) flag from the completion date, so the 属地注册率 moves in that month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, func, or_, select

from crm.models import Building, Company, Lease, TaxRecord, Unit, User, lease_units, user_buildings
from crm.formats import half_up, money, percent
from crm.models.choices import HQ_TYPES
from crm.models.lead import FOLLOWUP_METHODS
from crm.models.localisation import (
    FLAGS,
    KIND_FLAG,
    KINDS,
    OPEN_STATES,
    STATES,
    UNKNOWN_START,
    CompanyFlagPeriod,
    LocalisationFollowUp,
    LocalisationItem,
)
from crm.cache import cached
from crm.cache.versions import OCCUPANCY, TAX
from crm.services import periods as P
from crm.services.bounds import QueryReader, check_day
from crm.services.briefing_sections import BriefingSection, SectionColumn, SectionTable
from crm.services.companies import tied_to_buildings
from crm.services.corrections import correcting_company
from crm.services.district_flags import FlagChange, flag_on, set_flag
from crm.services.errors import DomainError
from crm.services.occupancy import lease_active_on, occupancy_on, unit_counts_on
from crm.services.tax import tax_by_building

ZERO = Decimal("0")
CENT = Decimal("0.01")
SORTS = ("tax", "area", "name", "building", "state")

# What may follow each state: forward along 待核实 → 已走访 → 已动员 → 已完成, 不可迁 from any open
# state (with a reason), and a 不可迁 item may be reopened to 待核实. 已完成 is final.
NEXT_STATES = {
    "pending": ("visited", "mobilised", "blocked", "done"),
    "visited": ("mobilised", "blocked", "done"),
    "mobilised": ("blocked", "done"),
    "blocked": ("pending",),
    "done": (),
}


@dataclass
class Target:
    """One row of a 属地化 list."""

    kind: str
    company_id: int
    company_name: str
    uscc: str | None
    industry_group: str | None
    hq_type: str
    employees: int | None
    building_id: int | None
    building_code: str | None = None
    building_name: str | None = None
    street: str | None = None
    buildings: int = 0  # how many district buildings it occupies
    area: Decimal = ZERO
    start_date: date | None = None
    end_date: date | None = None
    tax_at_stake: Decimal | None = None  # 估算
    tax_12m: Decimal | None = None  # 注册不入驻: what it paid in the 12 complete months before D
    item: LocalisationItem | None = None

    @property
    def state(self) -> str:
        return self.item.state if self.item else "pending"

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def owner_id(self) -> int | None:
        return self.item.owner_id if self.item else None


@dataclass
class Filters:
    street: str | None = None
    building: str | None = None  # code
    state: str | None = None  # a state, or "open" (the three open states), None: every state
    owner: int | None = None  # a user id; 0: nobody
    sort: str = "tax"
    descending: bool = True


def read_filters(args, default_on: date) -> tuple[str, date, Filters, QueryReader]:
    """The list's type, date and filters from a query string; what was dropped is in the reader's
    ``problems``, what the page's links carry in its ``kept``."""

    query = QueryReader(args)
    kind = query.choice("type", "名单", KINDS) or "occupying_unregistered"
    query.keep("type", kind)
    on = default_on
    raw = query.text("on", "日期", 10)
    if raw:
        try:
            on = check_day(date.fromisoformat(raw), "日期", "on")
        except (ValueError, DomainError):
            query.kept.pop("on", None)
            query.problems.append(f"日期（on）“{raw}”不是有效的日期（YYYY-MM-DD），已忽略")
    owner = query.text("owner", "负责人", 10)
    owner_id = None
    if owner == "none":
        owner_id = 0
    elif owner:
        owner_id = query.id("owner", "负责人")
    sort = query.choice("sort", "排序", SORTS) or "tax"
    direction = query.choice("dir", "顺序", ("asc", "desc"))
    filters = Filters(
        street=query.text("street", "街道", 16) or None,
        building=query.text("building", "楼宇", 16) or None,
        state=query.choice("state", "状态", ("open", *STATES)) or None,
        owner=owner_id,
        sort=sort,
        descending=direction != "asc",
    )
    return kind, on, filters, query


def _tax_per_m2(session, on: date, building_ids) -> dict[int, Decimal]:
    last = P.last_complete_month(on)
    taxes = tax_by_building(session, P.shift(last, -11), last, building_ids)
    per_m2 = {}
    for bid, occ in occupancy_on(session, on, building_ids).items():
        if occ.occupied_area > 0:
            per_m2[bid] = (taxes.get(bid, ZERO) / occ.occupied_area).quantize(CENT, ROUND_HALF_UP)
    return per_m2


def _items_of(session, kind: str, company_ids=None) -> dict[int, LocalisationItem]:
    stmt = select(LocalisationItem).where(LocalisationItem.kind == kind)
    if company_ids is not None:
        stmt = stmt.where(LocalisationItem.company_id.in_(company_ids))
    return {item.company_id: item for item in session.scalars(stmt)}


def _occupying(session, kind: str, on: date, building_ids) -> list[Target]:
    """入驻不注册 / 注册不纳税 on ``on``, one row per company, with the companies of this kind's
    work items that no longer qualify (their flag now set) kept under their item's state."""
    if kind == "occupying_unregistered":
        wanted = ~flag_on("registered_in_district", on)
    else:
        wanted = and_(flag_on("registered_in_district", on), ~flag_on("taxed_in_district", on))
    worked = exists().where(LocalisationItem.company_id == Company.id, LocalisationItem.kind == kind)
    stmt = (
        select(
            Lease.company_id,
            Lease.building_id,
            func.sum(Unit.area),
            func.min(Lease.start_date),
            func.max(Lease.end_date),
            func.count(Lease.end_date),
            func.count(func.distinct(Lease.id)),
        )
        .join(lease_units, lease_units.c.lease_id == Lease.id)
        .join(Unit, and_(Unit.id == lease_units.c.unit_id, unit_counts_on(on)))
        .join(Company, Company.id == Lease.company_id)
        .where(lease_active_on(on), or_(wanted, worked))
        .group_by(Lease.company_id, Lease.building_id)
    )
    if building_ids is not None:
        stmt = stmt.where(Lease.building_id.in_(building_ids))
    per_company: dict[int, list[tuple]] = defaultdict(list)
    for company_id, building_id, area, first, last, dated, leases in session.execute(stmt):
        # An open-ended lease has no end: the latest end is none when any lease runs open.
        end = _as_date(last) if dated == leases else None
        per_company[company_id].append((building_id, Decimal(area), _as_date(first), end))
    if not per_company:
        return []
    per_m2 = _tax_per_m2(session, on, building_ids)
    companies = _companies(session, per_company)
    targets = []
    for company_id, rows in per_company.items():
        main = max(rows, key=lambda r: (r[1], -r[0]))
        stake = [area * per_m2[bid] for bid, area, _, _ in rows if bid in per_m2]
        company = companies[company_id]
        targets.append(
            Target(
                kind=kind,
                company_id=company_id,
                company_name=company.name,
                uscc=company.uscc,
                industry_group=company.industry_group,
                hq_type=company.hq_type,
                employees=company.employees,
                building_id=main[0],
                buildings=len(rows),
                area=sum((r[1] for r in rows), ZERO),
                start_date=main[2],
                end_date=main[3],
                tax_at_stake=sum(stake, ZERO).quantize(CENT, ROUND_HALF_UP) if stake else None,
            )
        )
    return targets


@dataclass(frozen=True)
class _CompanyRow:
    name: str
    uscc: str | None
    industry_group: str | None
    hq_type: str
    employees: int | None


def _companies(session, ids) -> dict[int, _CompanyRow]:
    """The listed columns of the companies ``ids`` (plain rows: a list of thousands of targets
    need not build thousands of ORM objects)."""
    ids = list(ids)
    found = {}
    for start in range(0, len(ids), 900):
        for row in session.execute(
            select(
                Company.id, Company.name, Company.uscc, Company.industry_group, Company.hq_type, Company.employees
            ).where(Company.id.in_(ids[start : start + 900]))
        ):
            found[row[0]] = _CompanyRow(*row[1:])
    return found


def _registered_not_occupying(session, on: date, building_ids) -> list[Target]:
    kind = "registered_not_occupying"
    occupying = exists().where(Lease.company_id == Company.id, lease_active_on(on))
    worked = exists().where(LocalisationItem.company_id == Company.id, LocalisationItem.kind == kind)
    stmt = select(Company).where(
        Company.registered_building_id.is_not(None),
        or_(and_(flag_on("registered_in_district", on), ~occupying), worked),
    )
    if building_ids is not None:
        stmt = stmt.where(Company.registered_building_id.in_(building_ids))
    companies = list(session.scalars(stmt))
    if not companies:
        return []
    last = P.last_complete_month(on)
    taxes = (
        dict(
            session.execute(
                select(TaxRecord.company_id, func.sum(TaxRecord.total_tax))
                .where(
                    TaxRecord.company_id.in_([c.id for c in companies]),
                    TaxRecord.period.between(P.shift(last, -11), last),
                )
                .group_by(TaxRecord.company_id)
            ).all()
        )
        if len(companies) <= 900
        else _taxes_in_chunks(session, companies, last)
    )
    return [
        Target(
            kind=kind,
            company_id=c.id,
            company_name=c.name,
            uscc=c.uscc,
            industry_group=c.industry_group,
            hq_type=c.hq_type,
            employees=c.employees,
            building_id=c.registered_building_id,
            tax_12m=Decimal(taxes[c.id]) if c.id in taxes else None,
        )
        for c in companies
    ]


def _taxes_in_chunks(session, companies, last):
    found = {}
    ids = [c.id for c in companies]
    for start in range(0, len(ids), 900):
        found.update(
            session.execute(
                select(TaxRecord.company_id, func.sum(TaxRecord.total_tax))
                .where(
                    TaxRecord.company_id.in_(ids[start : start + 900]),
                    TaxRecord.period.between(P.shift(last, -11), last),
                )
                .group_by(TaxRecord.company_id)
            ).all()
        )
    return found


def targets(session, kind: str, on: date, building_ids=None, filters: Filters | None = None) -> list[Target]:
    """The rows of one 属地化 list on ``on`` for the buildings ``building_ids`` (None: all),
    filtered and sorted by ``filters``.

    The rows themselves derive from leases, companies (their flags) and tax only, so they are kept
    in the figure cache under the occupancy and tax tokens (a completion changes a flag, hence
    the occupancy token); the work items — states and owners, which change without those — are
    read for every call and attached to copies."""
    if kind not in KINDS:
        raise DomainError(f"未知的名单类型：{kind}，可选 {'、'.join(KINDS)}", field="type")
    filters = filters or Filters()
    scope = None if building_ids is None else tuple(sorted(building_ids))
    base = cached(
        session,
        (OCCUPANCY, TAX),
        ("localisation-targets", kind, on, scope),
        lambda: _derived_rows(session, kind, on, building_ids),
        shared=True,
    )
    items = _items_of(session, kind)
    rows = [replace(row, item=items.get(row.company_id)) for row in base]
    rows = [r for r in rows if _matches(r, filters)]
    return _sorted(rows, filters)


def _derived_rows(session, kind: str, on: date, building_ids) -> list[Target]:
    rows = (
        _registered_not_occupying if kind == "registered_not_occupying" else lambda s, d, b: _occupying(s, kind, d, b)
    )(session, on, building_ids)
    buildings = {
        bid: (code, name, street)
        for bid, code, name, street in session.execute(
            select(Building.id, Building.code, Building.name, Building.street)
        )
    }
    for row in rows:
        if row.building_id in buildings:
            row.building_code, row.building_name, row.street = buildings[row.building_id]
    return rows


def _matches(row: Target, filters: Filters) -> bool:
    if filters.street and row.street != filters.street:
        return False
    if filters.building and row.building_code != filters.building:
        return False
    if filters.state == "open" and row.state not in OPEN_STATES:
        return False
    if filters.state and filters.state != "open" and row.state != filters.state:
        return False
    if filters.owner is not None and (row.owner_id or 0) != filters.owner:
        return False
    return True


def _sorted(rows: list[Target], filters: Filters) -> list[Target]:
    keys = {
        "tax": lambda r: (r.tax_at_stake if r.tax_at_stake is not None else (r.tax_12m or Decimal(-1)), r.company_id),
        "area": lambda r: (r.area, r.company_id),
        "name": lambda r: (r.company_name, r.company_id),
        "building": lambda r: (r.building_code or "", r.company_id),
        "state": lambda r: (list(STATES).index(r.state), r.company_id),
    }
    return sorted(rows, key=keys.get(filters.sort, keys["tax"]), reverse=filters.descending)


def _as_date(value):
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- the work list ---------------------------------------------------------------------------


def item_for(session, company: Company, kind: str, building_id: int | None) -> LocalisationItem:
    """The work item of ``company`` for ``kind``, made (待核实) when nobody has worked it yet."""
    if kind not in KINDS:
        raise DomainError(f"未知的名单类型：{kind}", field="type")
    item = session.scalar(
        select(LocalisationItem).where(LocalisationItem.company_id == company.id, LocalisationItem.kind == kind)
    )
    if item is None:
        item = LocalisationItem(company=company, kind=kind, building_id=building_id, state="pending")
        session.add(item)
        session.flush()
    return item


def possible_owners(session, item: LocalisationItem) -> list[User]:
    """Who may own an item: active promoters, and the managers of its building."""
    managers = select(user_buildings.c.user_id).where(user_buildings.c.building_id == item.building_id)
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True), or_(User.role == "promoter", and_(User.role == "manager", User.id.in_(managers)))
            )
            .order_by(User.role, User.username)
        )
    )


def assign(session, item: LocalisationItem, owner_id: int | None) -> None:
    if owner_id is None:
        item.owner_id = None
    else:
        if owner_id not in {u.id for u in possible_owners(session, item)}:
            raise DomainError("负责人须为招商专员或该楼宇的楼宇管理员", field="owner")
        item.owner_id = owner_id
    session.flush()


def move(
    session,
    item: LocalisationItem,
    to_state: str,
    today: date,
    reason: str | None = None,
    completed_on: date | None = None,
) -> None:
    """Move an item along its states; 已完成 sets the company's flag from ``completed_on``."""
    if to_state not in STATES:
        raise DomainError(f"未知的状态：{to_state}", field="state")
    if to_state not in NEXT_STATES[item.state]:
        allowed = "、".join(STATES[s] for s in NEXT_STATES[item.state]) or "无（已完成）"
        raise DomainError(f"“{item.state_label}”之后只能转为：{allowed}", field="state")
    reason = (reason or "").strip()
    if to_state == "blocked" and not reason:
        raise DomainError("请填写不可迁的原因", field="reason")
    if to_state == "done":
        completed_on = completed_on or today
        if completed_on > today:
            raise DomainError(f"完成日期 {completed_on} 晚于今天，请填写已经办结的日期", field="completed_on")
        flag = KIND_FLAG.get(item.kind)
        if flag is not None:
            # A date in a month already confirmed corrects that month's frozen figures.
            reason = f"{item.company.name} 自 {completed_on} 起{FLAGS[flag]}（属地化事项已完成）"
            with correcting_company(session, item.company, completed_on, reason, "localise"):
                set_flag(session, item.company, flag, True, completed_on)
        item.completed_on = completed_on
    item.reason = reason if to_state == "blocked" else item.reason
    item.state = to_state
    if to_state in ("done", "blocked"):
        item.next_followup_on = None
    session.flush()


def add_followup(
    session,
    item: LocalisationItem,
    author: User,
    today: date,
    method: str,
    notes: str,
    on: date | None = None,
    next_on: date | None = None,
) -> LocalisationFollowUp:
    """Record a visit, call or meeting on a target, as on leads: method, notes, the next date."""
    if item.state == "done":
        raise DomainError("该事项已完成，无需再记录跟进", field="notes")
    if method not in FOLLOWUP_METHODS:
        raise DomainError(f"请选择跟进方式：{'、'.join(FOLLOWUP_METHODS)}", field="method")
    notes = (notes or "").strip()
    if not notes:
        raise DomainError("请填写跟进内容", field="notes")
    on = on or today
    if on > today:
        raise DomainError(f"跟进日期 {on} 晚于今天，请记录已经发生的跟进", field="on")
    if next_on is not None and next_on < today:
        raise DomainError(f"下次跟进日期 {next_on} 已经过去，请选今天（{today}）或以后的日期", field="next_on")
    followup = LocalisationFollowUp(
        item=item, author=author, on=on, method=method, notes=notes, next_followup_on=next_on
    )
    session.add(followup)
    item.next_followup_on = next_on
    if item.owner_id is None and author.role in ("promoter", "manager"):
        item.owner_id = author.id  # whoever first works an unowned target takes it on
    session.flush()
    return followup


def due_followups(session, day: date) -> dict[int, list[LocalisationItem]]:
    """{owner id: open items whose next follow-up date is ``day`` or earlier}: the reminders."""
    stmt = (
        select(LocalisationItem)
        .where(
            LocalisationItem.owner_id.is_not(None),
            LocalisationItem.next_followup_on <= day,
            LocalisationItem.state.in_(OPEN_STATES),
        )
        .order_by(LocalisationItem.next_followup_on, LocalisationItem.id)
    )
    found: dict[int, list[LocalisationItem]] = defaultdict(list)
    for item in session.scalars(stmt):
        found[item.owner_id].append(item)
    return dict(found)


# --- the figures -----------------------------------------------------------------------------


@dataclass
class Summary:
    """The 属地化 card and briefing section: as of the end of ``month`` (today while it runs)."""

    month: str
    on: date
    tenants: int = 0
    registered_tenants: int = 0
    occupied_area: Decimal = ZERO
    registered_area: Decimal = ZERO
    trend: list[tuple[str, float | None, float | None]] = field(default_factory=list)  # (month, by count, by area)
    open_targets: int = 0
    tax_at_stake: Decimal = ZERO
    completed_this_year: int = 0
    not_occupying: int = 0
    top: list[Target] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.registered_tenants / self.tenants if self.tenants else None

    @property
    def area_rate(self) -> float | None:
        return float(self.registered_area / self.occupied_area) if self.occupied_area > 0 else None


def summary(session, month: str, today: date, building_ids=None, top: int = 10) -> Summary:
    """属地注册率 by count and by area at the end of ``month``, its 12-month trend, the open 入驻不注册
    targets and their tax at stake, items completed in the year of ``month``, and the top targets."""
    from crm.services.snapshots import district_tenants, occupancy_for_months

    on = min(P.month_end(month), today)
    periods = P.months_ending(month, 12)
    ids = building_ids if building_ids is not None else list(session.scalars(select(Building.id)))
    occupancy = occupancy_for_months(session, periods, ids)
    result = Summary(month=month, on=on)
    for period in periods:
        occupied = sum((o.occupied_area for (_, p), o in occupancy.items() if p == period), ZERO)
        registered = sum((o.registered_area for (_, p), o in occupancy.items() if p == period), ZERO)
        tenants, registered_tenants = district_tenants(session, period, ids)
        result.trend.append(
            (
                period,
                registered_tenants / tenants if tenants else None,
                float(registered / occupied) if occupied > 0 else None,
            )
        )
        if period == month:
            result.tenants, result.registered_tenants = tenants, registered_tenants
            result.occupied_area, result.registered_area = occupied, registered
    rows = targets(session, "occupying_unregistered", on, building_ids, Filters(state="open"))
    result.open_targets = len(rows)
    result.tax_at_stake = sum((r.tax_at_stake or ZERO for r in rows), ZERO)
    result.top = rows[:top]
    result.not_occupying = len(targets(session, "registered_not_occupying", on, building_ids, Filters(state="open")))
    year = P.split(month)[0]
    completed = select(func.count(LocalisationItem.id)).where(
        LocalisationItem.state == "done", LocalisationItem.completed_on.between(date(year, 1, 1), on)
    )
    if building_ids is not None:
        completed = completed.where(LocalisationItem.building_id.in_(building_ids))
    result.completed_this_year = session.scalar(completed) or 0
    return result


def _number(value):
    return None if value is None else float(value)


def briefing_part(session, month: str, today: date | None = None) -> dict:
    """The ``localisation`` part of the briefing's data (JSON): the card's figures as of the end of
    ``month``, money in yuan, areas in m², rates as fractions, and the ten 入驻不注册 targets with the
    most tax at stake (估算)."""
    s = summary(session, month, today or P.month_end(month))
    return {
        "as_of": s.on.isoformat(),
        "registered_rate": s.rate,
        "registered_area_rate": s.area_rate,
        "tenants": s.tenants,
        "registered_tenants": s.registered_tenants,
        "trend": [{"month": m, "registered_rate": c, "registered_area_rate": a} for m, c, a in s.trend],
        "open_targets": s.open_targets,
        "tax_at_stake": _number(s.tax_at_stake),
        "tax_at_stake_basis": "估算：占用面积 × 所在楼宇近12个月每平方米税收",
        "completed_this_year": s.completed_this_year,
        "registered_not_occupying": s.not_occupying,
        "top_targets": [
            {
                "company": t.company_name,
                "uscc": t.uscc,
                "building": t.building_code,
                "building_name": t.building_name,
                "street": t.street,
                "area": _number(t.area),
                "industry_group": t.industry_group,
                "hq_type": t.hq_type,
                "tax_at_stake": _number(t.tax_at_stake),
                "state": t.state,
                "state_label": t.state_label,
            }
            for t in s.top
        ],
    }


# --- the briefing's section ------------------------------------------------------------------

BRIEFING_TITLE = "属地化（入驻不注册）"


def briefing_section(session, month: str, today: date | None = None) -> BriefingSection | None:
    """The briefing's 属地化 section (``crm.services.briefing.EXTRA_SECTIONS``): 属地注册率 by count
    and by area with its 12-month trend, the open 入驻不注册 targets and their tax at stake (估算),
    completions this year, and the ten targets with the most tax at stake. None for a month with
    no tenants and no targets: there is nothing to say."""
    part = briefing_part(session, month, today)
    if not (part["tenants"] or part["open_targets"] or part["registered_not_occupying"]):
        return None
    return BriefingSection(
        key="localisation",
        title=BRIEFING_TITLE,
        paragraphs=[briefing_paragraph(part, P.label(month))],
        tables=[trend_table(part["trend"]), top_targets_table(part["top_targets"])],
        summary=briefing_summary(part),
    )


def briefing_paragraph(part: dict, month_label: str) -> str:
    return (
        f"{month_label}末，属地注册率按企业数 {percent(part['registered_rate'])}（{part['registered_tenants']:,} / "
        f"{part['tenants']:,} 家），按面积 {percent(part['registered_area_rate'])}。入驻不注册的企业 "
        f"{part['open_targets']:,} 家待办，税收影响约 {money(part['tax_at_stake'])}（{part['tax_at_stake_basis']}）；"
        f"注册不入驻 {part['registered_not_occupying']:,} 家待核实；本年已完成属地注册 {part['completed_this_year']:,} 家。"
    )


def trend_table(trend: list[dict]) -> SectionTable:
    """The rate by count and by area, one column a month (25/12 …), the row labels a little wider."""
    columns = [SectionColumn("", weight=0.12)]
    columns += [SectionColumn(f"{t['month'][2:4]}/{t['month'][5:]}", "percent", 0.88 / len(trend)) for t in trend]
    return SectionTable(
        "属地注册率（近 12 个月）",
        columns,
        [
            ["按企业数", *(t["registered_rate"] for t in trend)],
            ["按面积", *(t["registered_area_rate"] for t in trend)],
        ],
    )


def top_targets_table(top: list[dict]) -> SectionTable:
    columns = [
        SectionColumn("企业", weight=0.27),
        SectionColumn("楼宇", weight=0.18),
        SectionColumn("街道", weight=0.08),
        SectionColumn("面积 m²", "area", 0.10),
        SectionColumn("产业", weight=0.11),
        SectionColumn("总部类型", weight=0.09),
        SectionColumn("税收影响 万元", "wan", 0.10),
        SectionColumn("状态", weight=0.07),
    ]
    rows = [
        [
            t["company"],
            t["building_name"] or "—",
            t["street"] or "—",
            t["area"],
            t["industry_group"] or "—",
            HQ_TYPES.get(t["hq_type"], "—") if t["hq_type"] != "none" else "—",
            t["tax_at_stake"],
            t["state_label"],
        ]
        for t in top
    ]
    return SectionTable("税收影响最大的十家入驻不注册企业（估算）", columns, rows, empty="没有入驻不注册的企业。")


def briefing_summary(part: dict) -> str:
    """One sentence for page 1's 本月综述: the rate, how it moved by count since last month, and
    the targets still open with their tax at stake; "" for a district without tenants."""
    if part["registered_rate"] is None:
        return ""
    text = f"属地注册率按企业数{percent(part['registered_rate'])}"
    previous = part["trend"][-2]["registered_rate"] if len(part["trend"]) > 1 else None
    if previous is not None:
        change = half_up((part["registered_rate"] - previous) * 100, 1)
        text += (
            "（与上月持平）" if change == 0 else f"（较上月{'上升' if change > 0 else '下降'}{abs(change)}个百分点）"
        )
    text += f"、按面积{percent(part['registered_area_rate'])}"
    if not part["open_targets"]:
        return text + "；没有入驻不注册的企业。"
    return text + f"；入驻不注册企业{part['open_targets']:,}家待办，税收影响约{money(part['tax_at_stake'])}（估算）。"


def flag_changes(session, start: date, end: date, building_ids=None) -> list[FlagChange]:
    """Every change of a district flag taking effect from ``start`` to ``end`` (both included):
    a period starting then (the flag set; a period since ``UNKNOWN_START`` is no change) or ending
    then (the flag dropped — a company that stopped being registered or taxed in the district).
    ``building_ids`` narrows to companies tied to those buildings (a manager's scope)."""
    stmt = (
        select(
            CompanyFlagPeriod.company_id,
            Company.name,
            CompanyFlagPeriod.flag,
            CompanyFlagPeriod.start_date,
            CompanyFlagPeriod.ended_on,
        )
        .join(Company, Company.id == CompanyFlagPeriod.company_id)
        .where(
            or_(
                and_(
                    CompanyFlagPeriod.start_date >= start,
                    CompanyFlagPeriod.start_date <= end,
                    CompanyFlagPeriod.start_date > UNKNOWN_START,
                ),
                and_(CompanyFlagPeriod.ended_on >= start, CompanyFlagPeriod.ended_on <= end),
            )
        )
    )
    if building_ids is not None:
        stmt = stmt.where(tied_to_buildings(building_ids))
    changes = []
    for company_id, name, flag, started, ended in session.execute(stmt):
        if start <= started <= end and started > UNKNOWN_START:
            changes.append(FlagChange(company_id, name, flag, True, started))
        if ended is not None and start <= ended <= end:
            changes.append(FlagChange(company_id, name, flag, False, ended))
    return sorted(changes, key=lambda c: (c.on, c.company_id, c.flag, c.value))
