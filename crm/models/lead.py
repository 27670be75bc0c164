"""The investment-attraction pipeline: leads (招商项目), follow-ups, stage changes, move-in requests."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from crm.extensions import db
from crm.models.names import KEY_LENGTH, key_default, name_key

# Stages in order with default probabilities (DESIGN.md); paused and lost are off the line.
STAGES = {
    "lead": ("线索", Decimal("0.10")),
    "contact": ("接洽", Decimal("0.20")),
    "visit": ("考察", Decimal("0.35")),
    "negotiation": ("洽谈", Decimal("0.50")),
    "signed": ("签约", Decimal("0.80")),
    "registered": ("注册落地", Decimal("0.95")),
    "settled": ("入驻", Decimal("1.00")),
}
OFF_LINE_STAGES = {"paused": "搁置", "lost": "退出"}
ACTIVE_STAGES = ("lead", "contact", "visit", "negotiation", "signed", "registered")
SOURCES = ["以商招商", "中介机构", "展会", "驻外招商", "网络", "上门", "其他"]
FOLLOWUP_METHODS = ["电话", "走访", "会谈", "来访", "微信", "邮件", "其他"]
PRIORITIES = {"high": "高", "normal": "中", "low": "低"}

lead_target_buildings = Table(
    "lead_target_buildings",
    db.metadata,
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id"), primary_key=True),
    # The leads aimed at a building (its pipeline potential) without a scan of every target.
    Index("ix_lead_target_buildings_building_id", "building_id", "lead_id"),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Lead(db.Model):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    company_name: Mapped[str] = mapped_column(String(200), index=True)  # before a USCC is known
    # The duplicate guard's key of the name (crm/models/names.py), kept with every write of the name.
    name_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True, default=key_default("company_name"))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(16))
    industry_group: Mapped[str | None] = mapped_column(String(16))
    hq_type: Mapped[str] = mapped_column(String(16), default="none")
    intended_area: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    expected_annual_tax: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    stage: Mapped[str] = mapped_column(String(16), default="lead")
    next_followup_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The date of the latest follow-up, kept by the follow-up service so that the deadline flags
    # (first follow-up late, stale) of a whole board or list need no per-lead sub-query.
    last_followup_on: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    paused_until: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    landed_on: Mapped[date | None] = mapped_column(Date)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    company = relationship("Company")
    owner = relationship("User")
    target_buildings = relationship("Building", secondary=lead_target_buildings, order_by="Building.code")
    followups = relationship("FollowUp", back_populates="lead", order_by="FollowUp.on.desc()")

    __mapper_args__ = {"version_id_col": version}

    @validates("company_name")
    def _keep_name_key(self, _key, value):
        self.name_key = name_key(value)
        return value

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES

    @property
    def probability(self) -> Decimal:
        return stage_probability(self.stage)

    @property
    def weighted_tax(self) -> Decimal | None:
        if self.expected_annual_tax is None:
            return None
        return self.expected_annual_tax * self.probability

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.company_name} {self.stage}>"


# A board column's most urgent cards are the first entries of these indexes, not a sort of every
# lead of the stage. The owner's index also holds every column the running month's tallies and
# the deadline counts read, so the database counts those from the index alone.
Index("ix_leads_stage_due", Lead.stage, Lead.next_followup_on, Lead.id.desc(), Lead.merged_into_id)
Index(
    "ix_leads_owner_tally",
    Lead.owner_id,
    Lead.stage,
    Lead.next_followup_on,
    Lead.id.desc(),
    Lead.merged_into_id,
    Lead.expected_annual_tax,
    Lead.created_on,
    Lead.landed_on,
    Lead.signed_on,
    Lead.last_followup_on,
)


def stage_label(stage: str) -> str:
    return STAGES[stage][0] if stage in STAGES else OFF_LINE_STAGES.get(stage, stage)


def stage_probability(stage: str) -> Decimal:
    """The default probability of a stage; off-line stages (paused, lost) count nothing."""
    return STAGES[stage][1] if stage in STAGES else Decimal("0")


class FollowUp(db.Model):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text)
    next_followup_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lead = relationship("Lead", back_populates="followups")
    author = relationship("User")

    # "Follow-ups this month" per promoter reads the first index, not every follow-up; a lead's
    # latest follow-up by a day (the pipeline of a past month) is one seek in the second.
    __table_args__ = (
        Index("ix_followups_author_on", "author_id", "on"),
        Index("ix_followups_lead_on", "lead_id", "on", "id"),
    )


class LeadStageChange(db.Model):
    __tablename__ = "lead_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lead = relationship("Lead")
    user = relationship("User")

    @property
    def from_label(self) -> str | None:
        return stage_label(self.from_stage) if self.from_stage else None

    @property
    def to_label(self) -> str:
        return stage_label(self.to_stage)


class UnitReservation(db.Model):
    """Units held for a lead until a date (载体预留); ``Unit.reserved_until`` shows the hold."""

    __tablename__ = "unit_reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    reserved_until: Mapped[date] = mapped_column(Date)
    reserved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lead = relationship("Lead")
    unit = relationship("Unit")
    reserved_by = relationship("User")


class MoveInRequest(db.Model):
    """A landed lead's move-in, recorded by the promoter, confirmed by the building's manager."""

    __tablename__ = "move_in_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_ids: Mapped[str] = mapped_column(String(500))  # comma-separated unit ids
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed | rejected
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lead = relationship("Lead")
    company = relationship("Company")
    building = relationship("Building")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lease = relationship("Lease")

    @property
    def unit_id_list(self) -> list[int]:
        return [int(part) for part in self.unit_ids.split(",") if part]
