"""Monthly occupancy snapshots: the frozen figures that history and trends read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

AREA = Numeric(12, 2)


class OccupancySnapshot(db.Model):
    __tablename__ = "occupancy_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, figures as at the month's last day
    leasable_area: Mapped[Decimal] = mapped_column(AREA)
    occupied_area: Mapped[Decimal] = mapped_column(AREA)
    vacant_area: Mapped[Decimal] = mapped_column(AREA)
    tenants: Mapped[int] = mapped_column(Integer)
    registered_tenants: Mapped[int] = mapped_column(Integer)
    registered_area: Mapped[Decimal] = mapped_column(AREA, default=0)
    # The tenants counted above (company ids, sorted) and the registered ones among them, so the
    # district can count a company in several buildings once; None on snapshots frozen before
    # they were kept.
    tenant_ids: Mapped[list[int] | None] = mapped_column(JSON)
    registered_tenant_ids: Mapped[list[int] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A confirmed month changes only as a correction with a reason (the change history keeps each).
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    building = relationship("Building")
    confirmed_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("building_id", "period", name="uq_occupancy_snapshots_building_period"),)
