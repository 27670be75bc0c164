"""Tax records (税收) by company and month, and their per-building monthly roll-up.

A record's building is fixed when it is written (the registered building, else the largest active
lease), so a company that moves does not take its history along. The roll-up is what every
dashboard and report sums; it is rewritten by ``services.tax.refresh_rollup`` whenever records
are written, because summing hundreds of thousands of records per page view would not meet the
page-time targets.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

MONEY = Numeric(16, 2)


class TaxRecord(db.Model):
    __tablename__ = "tax_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    total_tax: Mapped[Decimal] = mapped_column(MONEY)
    district_tax: Mapped[Decimal | None] = mapped_column(MONEY)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))

    company = relationship("Company")
    building = relationship("Building")

    __table_args__ = (
        UniqueConstraint("company_id", "period", name="uq_tax_records_company_period"),
        Index("ix_tax_records_building_period", "building_id", "period"),
        Index("ix_tax_records_period", "period"),
        # Covers the district tax page's per-company sums of a year without touching the table.
        Index("ix_tax_records_period_company", "period", "building_id", "company_id", "total_tax", "district_tax"),
    )


class BuildingTaxMonth(db.Model):
    __tablename__ = "building_tax_months"

    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    total_tax: Mapped[Decimal] = mapped_column(MONEY)
    district_tax: Mapped[Decimal] = mapped_column(MONEY)
    records: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_building_tax_months_period", "period"),)
