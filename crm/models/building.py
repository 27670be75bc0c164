"""Buildings, their units (房源) and the units' self-use periods (自用). A unit's status on a date
is derived, never stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.user import user_buildings

AREA = Numeric(12, 2)


class Building(db.Model):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(16), index=True)
    zone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    gross_floor_area: Mapped[Decimal | None] = mapped_column(AREA)
    declared_office_area: Mapped[Decimal] = mapped_column(AREA)
    floors: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(8))
    owner: Mapped[str | None] = mapped_column(String(100))
    operator: Mapped[str | None] = mapped_column(String(100))
    positioning: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    units = relationship("Unit", back_populates="building", order_by="(Unit.floor.desc(), Unit.number)")
    managers = relationship("User", secondary=user_buildings, back_populates="buildings")

    __table_args__ = (CheckConstraint("declared_office_area >= 0", name="declared_area_nonnegative"),)

    def __repr__(self) -> str:
        return f"<Building {self.code} {self.name}>"


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    area: Mapped[Decimal] = mapped_column(AREA)
    reserved_until: Mapped[date | None] = mapped_column(Date)
    # A unit exists from active_from (None: always) until it is retired (split, merged, demolished).
    active_from: Mapped[date | None] = mapped_column(Date)
    retired_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    building = relationship("Building", back_populates="units")
    self_use_periods = relationship("UnitSelfUse", back_populates="unit", order_by="UnitSelfUse.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("building_id", "floor", "number", name="uq_units_building_floor_number"),
        CheckConstraint("area > 0", name="area_positive"),
    )

    @property
    def label(self) -> str:
        return f"{self.floor}F-{self.number}"

    def __repr__(self) -> str:
        return f"<Unit {self.building_id}/{self.floor}/{self.number}>"


class UnitSelfUse(db.Model):
    """A period in which a unit is the owner's own (自用): not leasable and not to let.

    Dated like a lease, so a past month keeps the status it had: self-use from ``start_date``
    (None: since the unit exists) through ``end_date`` (its last day; None: still self-use).
    """

    __tablename__ = "unit_self_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    unit = relationship("Unit", back_populates="self_use_periods")

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    def covers(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)

    def __repr__(self) -> str:
        return f"<UnitSelfUse unit={self.unit_id} {self.start_date}..{self.end_date}>"
