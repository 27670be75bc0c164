"""Warnings (预警): a rule found something about a company, lease or building that someone handles.

A warning is unique on (rule, object, period): it is inserted with ``INSERT … ON CONFLICT DO
NOTHING``, so two evaluations at once (two scheduler processes, a tax import during the daily
run, a restart) never record it twice. It carries the figures that triggered it (JSON), a
severity, the tax at stake (for ranking), the building it belongs to (for scopes and the building
page; a company's warning belongs to its building, when it has one of ours) and an owner.

States: 待处置 (pending) → 处置中 (handling) → 已解除 (resolved, with a reason and a note), or
自动解除 (auto_resolved) when an evaluation no longer finds its condition. Each change of state
and each handling note is a ``WarningNote``: the warning's timeline.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

PENDING, HANDLING, RESOLVED, AUTO_RESOLVED = "pending", "handling", "resolved", "auto_resolved"
STATES = {PENDING: "待处置", HANDLING: "处置中", RESOLVED: "已解除", AUTO_RESOLVED: "自动解除"}
OPEN_STATES = (PENDING, HANDLING)
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
RESOLVE_REASONS = {
    "stabilised": "已沟通，经营稳定",
    "renewed": "已续约",
    "retained": "已挽留（迁回或恢复）",
    "data_error": "数据有误",
    "accepted": "已知悉，无法挽回",
    "other": "其他",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EarlyWarning(db.Model):
    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(16))  # company | lease | building
    object_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))  # YYYY-MM or YYYY-MM-DD, the rule says which
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(8))
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    tax_at_stake: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    resolve_reason: Mapped[str | None] = mapped_column(String(16))
    resolve_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_on: Mapped[str] = mapped_column(String(10))  # the business day it was found (ISO)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_on: Mapped[str | None] = mapped_column(String(10))  # business day (ISO)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    building = relationship("Building")
    company = relationship("Company")
    owner = relationship("User", foreign_keys=[owner_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
    notes = relationship(
        "EarlyWarningNote",
        back_populates="warning",
        order_by="EarlyWarningNote.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("rule", "object_type", "object_id", "period", name="uq_warnings_rule_object_period"),
        Index("ix_warnings_state_rule", "state", "rule"),
        Index("ix_warnings_created_on", "created_on"),
    )

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, self.severity)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def resolve_reason_label(self) -> str | None:
        return RESOLVE_REASONS.get(self.resolve_reason, self.resolve_reason) if self.resolve_reason else None

    def __repr__(self) -> str:
        return f"<EarlyWarning {self.rule} {self.object_type}:{self.object_id} {self.period} {self.state}>"


class EarlyWarningNote(db.Model):
    """One entry of a warning's timeline: a note, or a change of state (with its note)."""

    __tablename__ = "warning_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")

    warning = relationship("EarlyWarning", back_populates="notes")
    author = relationship("User")

    @property
    def change_label(self) -> str | None:
        if self.to_state is None:
            return None
        return f"{STATES.get(self.from_state, self.from_state)} → {STATES.get(self.to_state, self.to_state)}"

    @property
    def created_utc(self) -> datetime:
        at = self.created_at
        return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
