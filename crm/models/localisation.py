"""属地化: the dated district flags of a company, and the bureau's work list of 属地化 targets.

A company's ``registered_in_district`` (属地注册) and ``taxed_in_district`` (属地纳税) are dated:
each flag holds over the periods recorded here, from ``start_date`` (inclusive) to ``ended_on``
(the first day it no longer holds; None: still holds). The boolean columns on ``companies`` stay
the current value. A listener keeps the two in step on every path that writes a company through
the ORM (forms, imports, the API, landings): a new company with a flag set holds it since
``UNKNOWN_START`` (we do not know since when), a flag changed on an existing company changes on the
date the writer gave (``set_flags_on``) or else today. A company written in bulk without any
period (the demo loader, benchmarks) reads its current boolean on every date — see
``crm.services.district_flags.flag_on``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.extensions import db

FLAGS = {"registered_in_district": "属地注册", "taxed_in_district": "属地纳税"}
UNKNOWN_START = date(1990, 1, 1)
FLAG_DATE_KEY = "_district_flags_on"  # session.info: the date flag changes of this flush take effect
TODAY_KEY = "_district_flags_today"  # session.info: the business today, when the caller knows it

# The work list: kinds of target and states, in order (DESIGN.md 属地化).
KINDS = {
    "occupying_unregistered": "入驻不注册",
    "occupying_untaxed": "注册不纳税",
    "registered_not_occupying": "注册不入驻",
}
STATES = {
    "pending": "待核实",
    "visited": "已走访",
    "mobilised": "已动员",
    "blocked": "不可迁",
    "done": "已完成",
}
OPEN_STATES = ("pending", "visited", "mobilised")
# The flag a completed item sets from its completion date.
KIND_FLAG = {"occupying_unregistered": "registered_in_district", "occupying_untaxed": "taxed_in_district"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CompanyFlagPeriod(db.Model):
    __tablename__ = "company_flag_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    flag: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # first day without the flag

    __table_args__ = (Index("ix_company_flag_periods_company_flag", "company_id", "flag"),)


class LocalisationItem(db.Model):
    """One 属地化 target being worked: a company and what is to be done about it."""

    __tablename__ = "localisation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The building the target was found in (its largest lease, or its registered building): what
    # puts the item in a manager's scope.
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # why it cannot move (不可迁)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    next_followup_on: Mapped[date | None] = mapped_column(Date, index=True)
    completed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    company = relationship("Company")
    building = relationship("Building")
    owner = relationship("User")
    followups = relationship(
        "LocalisationFollowUp",
        back_populates="item",
        order_by="LocalisationFollowUp.on.desc(), LocalisationFollowUp.id.desc()",
    )

    __table_args__ = (Index("uq_localisation_items_company_kind", "company_id", "kind", unique=True),)

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


class LocalisationFollowUp(db.Model):
    __tablename__ = "localisation_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("localisation_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text)
    next_followup_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item = relationship("LocalisationItem", back_populates="followups")
    author = relationship("User")


def _today(session) -> date:
    today = session.info.get(TODAY_KEY)
    if today is not None:
        return today
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _flag_history(obj, key):
    from sqlalchemy import inspect

    history = inspect(obj).attrs[key].history
    if not history.added:
        return None
    old = history.deleted[0] if history.deleted else None
    new = history.added[0]
    return (bool(old), bool(new)) if bool(old) != bool(new) else None


def _sync_flag_periods(session: Session, _context, _instances) -> None:
    from crm.models.company import Company

    when = session.info.get(FLAG_DATE_KEY) or _today(session)
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, Company):
                for flag in FLAGS:
                    if getattr(obj, flag):
                        session.add(CompanyFlagPeriod(company=obj, flag=flag, start_date=UNKNOWN_START))
        for obj in list(session.dirty):
            if not isinstance(obj, Company) or obj.id is None:
                continue
            for flag in FLAGS:
                change = _flag_history(obj, flag)
                if change is not None:
                    _record_change(session, obj.id, flag, change[1], when)


def _record_change(session: Session, company_id: int, flag: str, value: bool, when: date) -> None:
    periods = list(
        session.scalars(
            select(CompanyFlagPeriod).where(CompanyFlagPeriod.company_id == company_id, CompanyFlagPeriod.flag == flag)
        )
    )
    open_period = next((p for p in periods if p.ended_on is None), None)
    if value:
        if open_period is None:
            session.add(CompanyFlagPeriod(company_id=company_id, flag=flag, start_date=when))
        return
    if not periods:  # written in bulk: it held until now, as far as anyone knows
        session.add(CompanyFlagPeriod(company_id=company_id, flag=flag, start_date=UNKNOWN_START, ended_on=when))
    elif open_period is not None:
        if open_period.start_date >= when:
            session.delete(open_period)
        else:
            open_period.ended_on = when


CompanyFlagPeriod.company = relationship("Company")


def init_flag_history(session_class=Session) -> None:
    """Keep the dated flag periods in step with the companies' flags; safe to call more than once."""
    if not event.contains(session_class, "before_flush", _sync_flag_periods):
        event.listen(session_class, "before_flush", _sync_flag_periods)
