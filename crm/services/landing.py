"""Landing (落地入驻): a registered lead's company moves into a building.

The promoter records where it lands (building, units, move-in date) and the company's USCC; this
creates (or finds) the company and a move-in request. The building's manager — or an admin —
confirms it: ``services.leases.create_lease`` makes the lease, the lead becomes 入驻 (settled) and
the building's occupancy follows from the lease. Units that are not vacant on the move-in date
are refused at both steps: they may have been let in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from crm.models import Building, Company, Lead, MoveInRequest, Unit, UnitReservation, User
from crm.services.corrections import confirmed_periods, correcting
from crm.services.errors import DomainError
from crm.services.leads import clean_text, move_stage
from crm.services.leases import clashes, create_lease
from crm.services.occupancy import unit_exists_on
from crm.services.reach import LeaseState, lease_span
from crm.services.self_use import check_not_self_use
from crm.services.uscc import normalise_uscc, uscc_problem

LANDING_STAGES = ("registered", "settled")


@dataclass
class LandingInput:
    building_id: int | None
    unit_ids: list[int]
    start_date: date | None
    end_date: date | None = None
    uscc: str = ""
    company_name: str = ""
    registered_in_district: bool = True
    uscc_override: bool = False


def _units_of(session, building: Building, unit_ids: list[int], day: date) -> list[Unit]:
    ids = sorted(set(unit_ids or []))
    if not ids:
        raise DomainError("请选择入驻的单元", field="unit_ids")
    units = list(
        session.scalars(select(Unit).where(Unit.id.in_(ids), unit_exists_on(day)).order_by(Unit.floor, Unit.number))
    )
    if len(units) != len(ids):
        raise DomainError("所选单元不存在，或在入驻日期已撤销", field="unit_ids")
    for unit in units:
        if unit.building_id != building.id:
            raise DomainError(f"单元 {unit.label} 不属于 {building.name}", field="unit_ids")
    return units


def check_units_free(session, lead: Lead, building: Building, units: list[Unit], start: date, end: date | None) -> None:
    """Refuse units that are self-use or let on some day from ``start``, or held for another lead."""
    check_not_self_use(session, units, start, end, field="unit_ids", what="入驻")
    found = clashes(session, units, start, end)
    if found:
        first = found[0]
        raise DomainError(
            f"单元 {first.unit.label} 在 {start} 不是空置的：已有租约（{first.lease.company.name}，{first.lease.start_date} 起）",
            field="unit_ids",
        )
    for unit in units:
        if unit.reserved_until is not None and unit.reserved_until >= start:
            own = session.scalar(
                select(
                    exists().where(
                        UnitReservation.unit_id == unit.id,
                        UnitReservation.lead_id == lead.id,
                        UnitReservation.reserved_until >= start,
                    )
                )
            )
            if not own:
                raise DomainError(f"单元 {unit.label} 已为其他项目预留至 {unit.reserved_until}", field="unit_ids")


def _company_for(session, lead: Lead, data: LandingInput, actor: User, building: Building) -> Company:
    uscc = normalise_uscc(clean_text(data.uscc))
    problem = uscc_problem(uscc)
    override = data.uscc_override and actor.role == "admin"
    if problem and not (override and uscc and len(uscc) == 18):
        raise DomainError(
            problem + ("" if actor.role != "admin" else "（如确为登记机关核发的代码，管理员可勾选“确认代码无误”）"),
            field="uscc",
        )
    company = session.scalar(select(Company).where(Company.uscc == uscc))
    if company is not None:
        return company
    name = clean_text(data.company_name) or lead.company_name
    company = Company(
        name=name,
        uscc=uscc,
        uscc_override=bool(problem),
        industry_group=lead.industry_group,
        hq_type=lead.hq_type,
        registered_in_district=data.registered_in_district,
        taxed_in_district=data.registered_in_district,
        registered_building=building if data.registered_in_district else None,
        contact_name=lead.contact_name,
        contact_phone=lead.contact_phone,
    )
    session.add(company)
    session.flush()
    return company


def record_landing(session, lead: Lead, data: LandingInput, actor: User, today: date) -> MoveInRequest:
    if lead.stage not in LANDING_STAGES:
        raise DomainError("项目到「注册落地」阶段后才能登记落地楼宇", field="building_id")
    if pending_request(session, lead) is not None:
        raise DomainError("该项目已有待确认的入驻申请，请等待楼宇管理员确认", field="building_id")
    building = session.get(Building, data.building_id) if data.building_id else None
    if building is None:
        raise DomainError("请选择落地楼宇", field="building_id")
    if data.start_date is None:
        raise DomainError("请填写入驻日期", field="start_date")
    if data.end_date is not None and data.end_date < data.start_date:
        raise DomainError(f"租期结束日期 {data.end_date} 早于入驻日期 {data.start_date}", field="end_date")
    units = _units_of(session, building, data.unit_ids, data.start_date)
    check_units_free(session, lead, building, units, data.start_date, data.end_date)
    company = _company_for(session, lead, data, actor, building)
    lead.company = company
    lead.uscc = company.uscc
    request = MoveInRequest(
        lead=lead,
        company=company,
        building=building,
        unit_ids=",".join(str(u.id) for u in units),
        start_date=data.start_date,
        end_date=data.end_date,
        status="pending",
        requested_by_id=actor.id,
    )
    session.add(request)
    session.flush()
    return request


def pending_request(session, lead: Lead) -> MoveInRequest | None:
    return session.scalar(
        select(MoveInRequest).where(MoveInRequest.lead_id == lead.id, MoveInRequest.status == "pending")
    )


def request_units(session, request: MoveInRequest) -> list[Unit]:
    ids = request.unit_id_list
    return list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.floor, Unit.number))) if ids else []


def confirm_move_in(session, request: MoveInRequest, actor: User, today: date, correction_reason: str | None = None):
    """The manager confirms: the lease is created, the lead settles, reservations end.

    A move-in dated in a month the manager has confirmed is a correction of it, with a reason."""
    if request.status != "pending":
        raise DomainError("该入驻申请已处理过", field="status")
    units = request_units(session, request)
    lead = request.lead
    check_units_free(session, lead, request.building, units, request.start_date, request.end_date)
    with correcting(session, request.building, request_span(request), correction_reason, "movein_request"):
        lease = create_lease(session, request.company, request.building, units, request.start_date, request.end_date)
        request.status = "confirmed"
        request.lease = lease
        request.decided_by_id = actor.id
        request.decided_at = datetime.now(timezone.utc)
        for unit in units:
            unit.reserved_until = None  # the lease holds the unit now
        if lead.stage != "settled":
            move_stage(
                session,
                lead,
                "settled",
                actor,
                today,
                via_landing=True,
                reason=f"{request.building.name} {'、'.join(u.label for u in units)}，{request.start_date} 起",
            )
        lead.landed_on = today
        lead.next_followup_on = None
    return lease


def request_span(request: MoveInRequest):
    """The days the requested lease would alter."""
    return lease_span(None, LeaseState(request.start_date, request.end_date))


def confirmed_months_reached(session, requests) -> dict[int, list[str]]:
    """Pending requests whose lease would reach a confirmed month: request id -> those months."""
    pending = [r for r in requests if r.status == "pending"]
    confirmed = confirmed_periods(session, {r.building_id for r in pending})
    reached = {r.id: request_span(r).months(confirmed[r.building_id]) for r in pending}
    return {rid: months for rid, months in reached.items() if months}


def reject_move_in(session, request: MoveInRequest, actor: User, note: str) -> MoveInRequest:
    if request.status != "pending":
        raise DomainError("该入驻申请已处理过", field="status")
    note = (note or "").strip()
    if not note:
        raise DomainError("退回入驻申请须说明原因", field="note")
    request.status = "rejected"
    request.note = note
    request.decided_by_id = actor.id
    request.decided_at = datetime.now(timezone.utc)
    session.flush()
    return request


def pending_request_count(session, building_ids=None) -> int:
    """How many move-in requests for ``building_ids`` (None: every building) await a decision."""
    stmt = select(func.count()).select_from(MoveInRequest).where(MoveInRequest.status == "pending")
    if building_ids is not None:
        stmt = stmt.where(MoveInRequest.building_id.in_(building_ids))
    return session.scalar(stmt)


def move_in_requests(session, building_ids=None, status: str | None = "pending") -> list[MoveInRequest]:
    """Requests for ``building_ids`` (None: every building), pending first then newest."""
    stmt = select(MoveInRequest).options(
        # Each is a many-to-one: joined into the one query rather than five more round trips.
        joinedload(MoveInRequest.lead),
        joinedload(MoveInRequest.company),
        joinedload(MoveInRequest.building),
        joinedload(MoveInRequest.requested_by),
        joinedload(MoveInRequest.decided_by),
    )
    if building_ids is not None:
        stmt = stmt.where(MoveInRequest.building_id.in_(building_ids))
    if status:
        stmt = stmt.where(MoveInRequest.status == status)
    return list(session.scalars(stmt.order_by(MoveInRequest.created_at.desc(), MoveInRequest.id.desc()).limit(200)))


def units_by_request(session, requests: list[MoveInRequest]) -> dict[int, list[Unit]]:
    """The units of each request in one query."""
    ids = {uid for r in requests for uid in r.unit_id_list}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    return {
        r.id: sorted((units[i] for i in r.unit_id_list if i in units), key=lambda u: (u.floor, u.number))
        for r in requests
    }
