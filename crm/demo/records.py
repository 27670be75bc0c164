"""The generated records: plain dataclasses that point at each other by list index, not by
database id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

# --------------------------------------------------------------------------------------------
# Generated records (indexes, not database ids)


@dataclass
class GBuilding:
    code: str
    name: str
    street: str
    zone: str | None
    address: str
    floors: int
    grade: str
    owner: str
    operator: str
    positioning: tuple[str, ...]
    declared_cents: int
    gross_cents: int
    occupancy_target: float
    tax_target: float  # yuan, the tier year
    growth: float


@dataclass
class GUnit:
    building: int
    floor: int
    number: str
    area_cents: int
    self_use: bool


@dataclass
class GLease:
    building: int
    units: list[int]
    area_cents: int
    start: date
    end: date | None
    moved_out_on: date | None = None
    reason: str | None = None
    company: int = -1
    follows: "GLease | None" = None  # the same company's earlier lease (a move)

    @property
    def last_active(self) -> date:
        last = self.end or date.max
        if self.moved_out_on is not None:
            last = min(last, self.moved_out_on - timedelta(days=1))
        return last


@dataclass
class GCompany:
    name: str
    uscc: str
    section: str
    group: str
    registered: bool
    taxed: bool
    hq_type: str
    employees: int
    capital_wan: int
    contact_name: str
    contact_phone: str
    registered_building: int | None
    leases: list[int] = field(default_factory=list)
    tax_base: float = 0.0  # yuan a month, before calibration
    tax_growth: float = 0.0
    district_share: float = 0.35
