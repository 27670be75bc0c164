"""Leases (入驻/租约): a company in one or more units of one building over a period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

lease_units = Table(
    "lease_units",
    db.metadata,
    Column("lease_id", ForeignKey("leases.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
    Index("ix_lease_units_unit_id", "unit_id"),
)


class Lease(db.Model):
    __tablename__ = "leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    moved_out_on: Mapped[date | None] = mapped_column(Date)
    move_out_reason: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)

    company = relationship("Company", back_populates="leases")
    building = relationship("Building")
    units = relationship("Unit", secondary=lease_units, order_by="(Unit.floor, Unit.number)")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("moved_out_on IS NULL OR moved_out_on >= start_date", name="move_out_after_start"),
        Index("ix_leases_building_dates", "building_id", "start_date", "end_date", "moved_out_on"),
    )

    def is_active_on(self, day: date) -> bool:
        """DESIGN.md: start ≤ D, no move-out on or before D, and (no end or D ≤ end)."""
        return (
            self.start_date <= day
            and (self.moved_out_on is None or self.moved_out_on > day)
            and (self.end_date is None or day <= self.end_date)
        )

    def __repr__(self) -> str:
        return f"<Lease {self.id} company={self.company_id} {self.start_date}..{self.end_date}>"
