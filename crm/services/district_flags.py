"""A company's district flags on a date: 属地注册 (``registered_in_district``) and 属地纳税
(``taxed_in_district``), read from their dated history (``crm.models.localisation``).

``flag_on`` is the one SQL definition every figure uses (occupancy's registered tenants and area,
hence the dashboard, snapshots, briefing and API, and the 属地化 lists): the flag holds on day D
when a period of it covers D (start ≤ D < ended_on), or — for a company written in bulk that has no
period of that flag at all — when its current boolean is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, or_, select

from crm.models import Company
from crm.models.localisation import FLAG_DATE_KEY, FLAGS, CompanyFlagPeriod
from crm.services.errors import DomainError


def flag_on(flag: str, day, company_id=Company.id):
    """SQL: the company (``company_id``, a column) holds ``flag`` on ``day`` (a date or a column)."""
    period = CompanyFlagPeriod.__table__.alias(f"{flag}_period")
    covering = exists().where(
        period.c.company_id == company_id,
        period.c.flag == flag,
        period.c.start_date <= day,
        or_(period.c.ended_on.is_(None), period.c.ended_on > day),
    )
    undated = ~exists().where(period.c.company_id == company_id, period.c.flag == flag)
    current = getattr(Company, flag)
    if company_id is not Company.id:
        current = select(current).where(Company.id == company_id).scalar_subquery()
    return or_(covering, and_(undated, current.is_(True)))


def set_flag(session, company: Company, flag: str, value: bool, on: date) -> bool:
    """Set ``flag`` of ``company`` to ``value`` from ``on`` (today or earlier: the boolean is
    today's value). Returns whether anything changed."""
    if flag not in FLAGS:
        raise DomainError(f"未知的属地标志：{flag}", field="flag")
    if bool(getattr(company, flag)) == value:
        return False
    session.info[FLAG_DATE_KEY] = on
    try:
        setattr(company, flag, value)
        session.flush()
    finally:
        session.info.pop(FLAG_DATE_KEY, None)
    return True


@dataclass(frozen=True)
class FlagChange:
    """One change of one flag: the company, the flag, the value it took and from when."""

    company_id: int
    company_name: str
    flag: str
    value: bool
    on: date

    @property
    def label(self) -> str:
        return f"{'开始' if self.value else '不再'}{FLAGS[self.flag]}"


def backfill_flag_periods(session) -> int:
    """Give each company written in bulk (flags set, no period) its periods since its first
    lease (or ``UNKNOWN_START``), as the migration did for the companies of its day. Returns how
    many periods were written."""
    from sqlalchemy import func, insert, literal

    from crm.models import Lease
    from crm.models.localisation import UNKNOWN_START

    def count() -> int:
        return session.scalar(select(func.count()).select_from(CompanyFlagPeriod))

    # Counted, not taken from the rowcount: an INSERT … SELECT through the session reports -1 on
    # PostgreSQL.
    before = count()
    for flag in FLAGS:
        first_lease = select(func.min(Lease.start_date)).where(Lease.company_id == Company.id).scalar_subquery()
        rows = select(Company.id, literal(flag), func.coalesce(first_lease, UNKNOWN_START)).where(
            getattr(Company, flag).is_(True),
            ~exists().where(CompanyFlagPeriod.company_id == Company.id, CompanyFlagPeriod.flag == flag),
        )
        # In company order: the periods' ids are the same whatever order the database scans in.
        rows = rows.order_by(Company.id)
        session.execute(insert(CompanyFlagPeriod).from_select(["company_id", "flag", "start_date"], rows))
    return count() - before
