"""Move-ins (入驻) and move-outs (迁出) as a building manager records them.

A move-in names the company by its name or 统一社会信用代码 — or creates it on the spot, with the
code checked (GB 32100-2015) — and the units, start date and lease end; the lease itself comes
from ``crm.services.leases.create_lease``, which refuses a unit already let on those days. A
move-out sets the day the company leaves (from that day on the lease no longer counts) and a
reason from ``MOVE_OUT_REASONS``. Renewing sets a new end date. Each is refused on a stale form,
and one dated inside a confirmed month needs a correction reason.

A lease past its end date with no move-out is 到期未处置 (lapsed) and is resolved by one of three
operations: 续租 (``renew``: a new end date, or none), 迁出 (``move_out``: a move-out date, which
may be the end date) or 转不定期 (``make_open_ended``: no end from the old end on). A move-out
dated after the day following the end means the company stayed on until the day before: the
lease then runs until that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from crm.models import Building, Company, Lease, Unit
from crm.models.choices import INDUSTRY_GROUPS, MOVE_OUT_REASONS
from crm.services.corrections import correcting
from crm.services.errors import DomainError
from crm.services.leases import clashes, create_lease
from crm.services.reach import LeaseState, lease_span
from crm.services.timeline import refuse_stale
from crm.services.uscc import normalise_uscc, uscc_problem


@dataclass
class NewCompany:
    """What a manager types for a company that is not on file yet."""

    uscc: str = ""
    registered_in_district: bool = False
    industry_group: str = ""


def find_company(session, text: str) -> Company | None:
    """The company whose USCC or exact name is ``text``; refuses an ambiguous name."""
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写企业名称或统一社会信用代码", field="company")
    by_code = session.scalar(select(Company).where(Company.uscc == normalise_uscc(text)))
    if by_code is not None:
        return by_code
    named = list(session.scalars(select(Company).where(Company.name == text).limit(2)))
    if len(named) > 1:
        raise DomainError(f"有多家企业名为“{text}”，请改填统一社会信用代码", field="company")
    return named[0] if named else None


def create_company(session, name: str, details: NewCompany) -> Company:
    name = (name or "").strip()
    if len(name) < 2:
        raise DomainError("新企业请填写完整的企业名称", field="company")
    if len(name) > 200:
        raise DomainError("企业名称最多 200 个字符", field="company")
    code = normalise_uscc(details.uscc)
    if not code:
        raise DomainError(f"系统中没有“{name}”：新登记的企业请填写统一社会信用代码", field="uscc")
    problem = uscc_problem(code)
    if problem:
        raise DomainError(problem, field="uscc")
    if session.scalar(select(Company.id).where(Company.uscc == code)) is not None:
        raise DomainError(f"统一社会信用代码 {code} 已属于另一家企业", field="uscc")
    if details.industry_group and details.industry_group not in INDUSTRY_GROUPS:
        raise DomainError("请选择列表中的产业", field="industry_group")
    company = Company(
        name=name,
        uscc=code,
        registered_in_district=details.registered_in_district,
        industry_group=details.industry_group or None,
    )
    session.add(company)
    session.flush()
    return company


def resolve_company(session, text: str, details: NewCompany) -> Company:
    company = find_company(session, text)
    if company is not None:
        code = normalise_uscc(details.uscc)
        if code and company.uscc and code != company.uscc:
            raise DomainError(
                f"“{company.name}”的统一社会信用代码是 {company.uscc}，与填写的 {code} 不一致", field="uscc"
            )
        return company
    return create_company(session, text, details)


def move_in(
    session,
    building: Building,
    company_text: str,
    units: list[Unit],
    start: date,
    end: date | None = None,
    new_company: NewCompany | None = None,
    correction_reason: str | None = None,
) -> Lease:
    if start is None:
        raise DomainError("请填写入驻日期", field="start_date")
    if end is not None and end < start:
        raise DomainError(f"租约到期日 {end} 早于入驻日期 {start}", field="end_date")
    for unit in units:
        if unit.building_id != building.id:
            raise DomainError(f"单元 {unit.label} 不属于 {building.name}", field="units")
        if unit.retired_on is not None and unit.retired_on <= start:
            raise DomainError(f"单元 {unit.label} 已于 {unit.retired_on} 停用", field="units")
        if unit.active_from is not None and unit.active_from > start:
            raise DomainError(f"单元 {unit.label} 自 {unit.active_from} 起才启用", field="units")
    with correcting(session, building, lease_span(None, LeaseState(start, end)), correction_reason, "move_in"):
        company = resolve_company(session, company_text, new_company or NewCompany())
        lease = create_lease(session, company, building, units, start, end)
    return lease


def dates_of(lease: Lease) -> LeaseState:
    """The dates of a lease, for working out which days a change of them reaches."""
    return LeaseState(lease.start_date, lease.end_date, lease.moved_out_on)


def move_out(session, lease: Lease, version, day: date, reason: str, correction_reason: str | None = None) -> Lease:
    refuse_stale(session, "lease", lease, version)
    if lease.moved_out_on is not None:
        raise DomainError(f"该企业已于 {lease.moved_out_on} 迁出", field="moved_out_on")
    if day is None:
        raise DomainError("请填写迁出日期", field="moved_out_on")
    if day < lease.start_date:
        raise DomainError(f"迁出日期 {day} 早于入驻日期 {lease.start_date}", field="moved_out_on")
    if reason not in MOVE_OUT_REASONS:
        raise DomainError(f"请选择迁出原因：{'、'.join(MOVE_OUT_REASONS)}", field="reason")
    stayed_until = stayed_on_until(lease, day)
    if stayed_until is not None:
        refuse_taken(session, lease, stayed_until, "迁出日期", "moved_out_on")
    now = dates_of(lease)
    # One after the end adds the days the company stayed: the lease then runs until the day before.
    span = lease_span(now, LeaseState(now.start, stayed_until or now.end, day))
    with correcting(session, lease.building, span, correction_reason, "move_out"):
        if stayed_until is not None:
            lease.end_date = stayed_until
        lease.moved_out_on = day
        lease.move_out_reason = reason
    return lease


def stayed_on_until(lease: Lease, day: date) -> date | None:
    """The day before a move-out dated after the day following the lease's end: the company
    occupied the units until then. None when the move-out is on or before that day."""
    if lease.end_date is None or day <= lease.end_date + timedelta(days=1):
        return None
    return day - timedelta(days=1)


def refuse_taken(session, lease: Lease, end: date | None, what: str, field: str) -> None:
    """Refuse running ``lease`` until ``end`` (None: open-ended) when another lease has its units by then."""
    taken = clashes(session, list(lease.units), lease.start_date, end, ignore_lease_id=lease.id)
    if taken:
        first = taken[0]
        raise DomainError(
            f"单元 {first.unit.label} 在 {first.lease.start_date} 起已租给 {first.lease.company.name}，{what}不能延至此后",
            field=field,
        )


def is_lapsed(lease: Lease, today: date) -> bool:
    """到期未处置 on ``today``: past its end date with no move-out recorded."""
    return lease.end_date is not None and lease.end_date < today and lease.moved_out_on is None


def renew(
    session, lease: Lease, version, end: date | None, correction_reason: str | None = None, today: date | None = None
) -> Lease:
    """A new end date (None: open-ended), refused when another lease has the units by then. With
    ``today``, a lapsed lease must be renewed to today or later (else it would stay lapsed)."""
    refuse_stale(session, "lease", lease, version)
    if lease.moved_out_on is not None:
        raise DomainError(f"该企业已于 {lease.moved_out_on} 迁出，不能续租", field="end_date")
    if end is not None and end < lease.start_date:
        raise DomainError(f"到期日 {end} 早于入驻日期 {lease.start_date}", field="end_date")
    if today is not None and end is not None and end < today and is_lapsed(lease, today):
        raise DomainError(
            f"新的到期日 {end} 早于今天（{today}），续租后租约仍为到期未处置：请填写今天或以后的日期，或留空转为不定期",
            field="end_date",
        )
    refuse_taken(session, lease, end, "到期日", "end_date")
    now = dates_of(lease)
    span = lease_span(now, LeaseState(now.start, end, now.moved_out_on))
    with correcting(session, lease.building, span, correction_reason, "renew"):
        lease.end_date = end
    return lease


def make_open_ended(session, lease: Lease, version, correction_reason: str | None = None) -> Lease:
    """转不定期: the lease runs on with no end date from its old end (a renewal without an end)."""
    refuse_stale(session, "lease", lease, version)
    if lease.end_date is None:
        raise DomainError("该租约已是不定期租约", field="end_date")
    return renew(session, lease, lease.version, None, correction_reason)


def move_counts(session, building_ids, first: date, last: date) -> dict[int, tuple[int, int]]:
    """{building_id: (move-ins, move-outs)} with start / move-out dates in first..last."""
    ins = dict(
        session.execute(
            select(Lease.building_id, func.count())
            .where(Lease.building_id.in_(building_ids), Lease.start_date.between(first, last))
            .group_by(Lease.building_id)
        ).all()
    )
    outs = dict(
        session.execute(
            select(Lease.building_id, func.count())
            .where(Lease.building_id.in_(building_ids), Lease.moved_out_on.between(first, last))
            .group_by(Lease.building_id)
        ).all()
    )
    return {bid: (ins.get(bid, 0), outs.get(bid, 0)) for bid in building_ids}
