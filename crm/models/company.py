"""Companies: tenants, taxpayers and (later) the companies behind leads."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from crm.extensions import db
from crm.models.names import KEY_LENGTH, key_default, name_key


class Company(db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # The duplicate guard's key of the name (crm/models/names.py), kept with every write of the name.
    name_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True, default=key_default("name"))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    uscc_override: Mapped[bool] = mapped_column(Boolean, default=False)
    industry_section: Mapped[str | None] = mapped_column(String(1))
    industry_group: Mapped[str | None] = mapped_column(String(16), index=True)
    registered_in_district: Mapped[bool] = mapped_column(Boolean, default=False)
    taxed_in_district: Mapped[bool] = mapped_column(Boolean, default=False)
    hq_type: Mapped[str] = mapped_column(String(16), default="none")
    employees: Mapped[int | None] = mapped_column(Integer)
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    # The building of the registered address, when it is one of ours: tax is attributed to it.
    registered_building_id: Mapped[int | None] = mapped_column(db.ForeignKey("buildings.id"))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    leases = relationship("Lease", back_populates="company", order_by="Lease.start_date.desc()")
    registered_building = relationship("Building")

    @validates("name")
    def _keep_name_key(self, _key, value):
        self.name_key = name_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Company {self.uscc} {self.name}>"
