"""``load_demo``: write the generated demo into an empty database, one named step after another
(``STEPS``), with bulk inserts (a scale-10 load is ~900,000 tax rows), and flush; the caller
commits. A step takes the ``DemoLoad`` under way and returns the counts it reports. The steps of the
domains that work "as of today" (属地化, 预警) read ``DemoLoad.today``, the demo's business day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select

from crm.demo.clock import demo_today
from crm.demo.confirmations import confirm_history
from crm.demo.generate import DemoData, generate
from crm.demo.leads import load_demo_leads
from crm.demo.localisation import seed_localisation
from crm.demo.users import add_users, assign_managers, buildings_by_street, check_free_usernames
from crm.models import Building, Company, Lease, TaxRecord, Unit, UnitSelfUse, User, lease_units
from crm.models.version import OCCUPANCY, TAX, bump
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.tax import refresh_rollup
from crm.space.seed import seed_profiles
from crm.warnings.demo import seed_warnings

TAX_CHUNK = 20_000
LINK_CHUNK = 50_000


@dataclass
class DemoLoad:
    """A load under way: what was generated, and the database ids the steps have written so far
    (the generated records point at each other by list index; ``building_ids[i]`` is the id of
    ``data.buildings[i]``)."""

    session: object
    data: DemoData
    password: str
    today: date  # the business day the 属地化 work list and the warnings are as of
    building_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    company_ids: list[int] = field(default_factory=list)
    lease_ids: list[int] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    by_street: dict[str, list[int]] = field(default_factory=dict)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _insert_ids(session, table, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())


def insert_buildings(load: DemoLoad) -> dict[str, int]:
    load.building_ids = _insert_ids(
        load.session,
        Building.__table__,
        [
            dict(
                code=b.code,
                name=b.name,
                street=b.street,
                zone=b.zone,
                address=b.address,
                gross_floor_area=_money(b.gross_cents),
                declared_office_area=_money(b.declared_cents),
                floors=b.floors,
                grade=b.grade,
                owner=b.owner,
                operator=b.operator,
                positioning="、".join(b.positioning),
                is_demo=True,
            )
            for b in load.data.buildings
        ],
    )
    return {"楼宇": len(load.building_ids)}


def insert_units(load: DemoLoad) -> dict[str, int]:
    units = load.data.units
    load.unit_ids = _insert_ids(
        load.session,
        Unit.__table__,
        [
            dict(
                building_id=load.building_ids[u.building],
                floor=u.floor,
                number=u.number,
                area=_money(u.area_cents),
                reserved_until=None,
                active_from=None,
                retired_on=None,
                version=1,
            )
            for u in units
        ],
    )
    # The manager's own offices have been self-use since the units exist (no start date).
    own = [dict(unit_id=load.unit_ids[i], start_date=None, end_date=None) for i, u in enumerate(units) if u.self_use]
    if own:
        load.session.execute(insert(UnitSelfUse.__table__), own)
    return {"单元": len(load.unit_ids)}


def insert_companies(load: DemoLoad) -> dict[str, int]:
    building_ids = load.building_ids
    load.company_ids = _insert_ids(
        load.session,
        Company.__table__,
        [
            dict(
                name=c.name,
                uscc=c.uscc,
                uscc_override=False,
                industry_section=c.section,
                industry_group=c.group,
                registered_in_district=c.registered,
                taxed_in_district=c.taxed,
                hq_type=c.hq_type,
                employees=c.employees,
                registered_capital=Decimal(c.capital_wan * 10000),
                registered_building_id=None if c.registered_building is None else building_ids[c.registered_building],
                contact_name=c.contact_name,
                contact_phone=c.contact_phone,
                is_demo=True,
            )
            for c in load.data.companies
        ],
    )
    return {"企业": len(load.company_ids)}


def insert_leases(load: DemoLoad) -> dict[str, int]:
    leases = load.data.leases
    load.lease_ids = _insert_ids(
        load.session,
        Lease.__table__,
        [
            dict(
                company_id=load.company_ids[lease.company],
                building_id=load.building_ids[lease.building],
                start_date=lease.start,
                end_date=lease.end,
                moved_out_on=lease.moved_out_on,
                move_out_reason=lease.reason,
                version=1,
            )
            for lease in leases
        ],
    )
    links = [
        dict(lease_id=load.lease_ids[i], unit_id=load.unit_ids[u])
        for i, lease in enumerate(leases)
        for u in lease.units
    ]
    for start in range(0, len(links), LINK_CHUNK):
        load.session.execute(insert(lease_units), links[start : start + LINK_CHUNK])
    return {"租约": len(load.lease_ids)}


def insert_tax(load: DemoLoad) -> dict[str, int]:
    """The monthly tax records, in chunks (they are generated lazily), then the monthly rollup."""
    session, tax_count, chunk = load.session, 0, []
    for c, period, total, district, b in load.data.tax_rows():
        chunk.append(
            dict(
                company_id=load.company_ids[c],
                period=period,
                total_tax=_money(total),
                district_tax=_money(district),
                building_id=load.building_ids[b],
            )
        )
        if len(chunk) >= TAX_CHUNK:
            session.execute(insert(TaxRecord.__table__), chunk)
            tax_count += len(chunk)
            chunk = []
    if chunk:
        session.execute(insert(TaxRecord.__table__), chunk)
        tax_count += len(chunk)
    refresh_rollup(session)
    return {"税收记录": tax_count}


def insert_users(load: DemoLoad) -> dict[str, int]:
    load.users = add_users(load.session, load.password)
    load.by_street = buildings_by_street(load.data, load.building_ids)
    assign_managers(load.session, load.users, load.by_street)
    return {"用户": len(load.users)}


def confirm_months(load: DemoLoad) -> dict[str, int]:
    snapshots = confirm_history(load.session, load.data.periods, load.users, load.by_street)
    load.session.flush()
    # Units, leases and companies went in as bulk inserts, which no flush listener sees.
    bump(load.session, OCCUPANCY, TAX)
    return {"月度快照": snapshots}


def insert_leads(load: DemoLoad) -> dict[str, int]:
    """The pipeline, after the users (promoters) and tenants it needs."""
    return load_demo_leads(load.session, load.data.scale, load.data.as_of)


def localise(load: DemoLoad) -> dict[str, int]:
    """The dated district flags and the 属地化 work list, after the users who own its items."""
    return seed_localisation(load.session, load.today)


def evaluate_warnings(load: DemoLoad) -> dict[str, int]:
    """The warning rules evaluated on the demo's today, a few handled; after 属地化, whose dated
    flags the outflow rule reads."""
    created = seed_warnings(load.session, load.today)
    return {"预警": sum(created.values())}


def write_profiles(load: DemoLoad) -> dict[str, int]:
    """The 楼宇画像 texts of every demo building."""
    return {"楼宇画像": seed_profiles(load.session)}


# The seeding steps, in order. A domain that brings demo data of its own adds its step here (after
# the steps whose rows it needs), in a module of this package; the step reads ``load`` and what the
# earlier steps wrote, draws from its own seed (``chance.seeded(scale, "<its name>")``) so the data
# of the steps before it stays the same, and returns the counts ``crm demo load`` prints.
STEPS: list[Callable[[DemoLoad], dict[str, int]]] = [
    insert_buildings,
    insert_units,
    insert_companies,
    insert_leases,
    insert_tax,
    insert_users,
    confirm_months,
    insert_leads,
    localise,
    evaluate_warnings,
    write_profiles,
]

# How ``crm demo load`` lists the counts; a step's further counts follow.
REPORT_ORDER = ["楼宇", "单元", "企业", "租约", "税收记录", "月度快照", "用户"]


def check_empty(session, scale, as_of: str | None) -> str:
    """The month ``as_of`` names, once the scale and the database are fit for a demo."""
    as_of = P.parse_period(as_of or "", "as_of")
    if not isinstance(scale, int) or scale < 1:
        raise DomainError(f"规模倍数应为正整数，当前为 {scale!r}", field="scale")
    if session.scalar(select(Building.id).limit(1)) is not None:
        raise DomainError("数据库中已有楼宇数据：演示数据只能载入空数据库")
    check_free_usernames(session)
    return as_of


def load_demo(
    session, scale: int = 1, as_of: str | None = None, password: str = "xigang-demo-2026", today: date | None = None
) -> dict[str, int]:
    """Write the demo data into an empty database (no buildings) and flush; the caller commits.
    ``today`` is the business day the app will run on (CRM_TODAY or the calendar); a day outside
    the month ``as_of`` is replaced by that month's demo day (``clock.demo_today``)."""
    as_of = check_empty(session, scale, as_of)
    load = DemoLoad(session, generate(scale, as_of), password, demo_today(as_of, today))
    counts: dict[str, int] = {}
    for step in STEPS:
        counts.update(step(load))
    return {name: counts.pop(name) for name in REPORT_ORDER if name in counts} | counts
