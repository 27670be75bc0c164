"""``generate(scale, as_of)``: everything the demo loads, as plain records — a pure function of
its arguments, every date counted from ``as_of``."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

from crm.demo.buildings import buildings_and_units
from crm.demo.clock import history_window
from crm.demo.companies import draw_companies
from crm.demo.leases import building_leases, link_moves
from crm.demo.records import GBuilding, GCompany, GLease, GUnit
from crm.demo.tax import calibrate, tax_rows


@dataclass
class DemoData:
    scale: int
    as_of: str
    periods: list[str]
    buildings: list[GBuilding]
    units: list[GUnit]
    companies: list[GCompany]
    leases: list[GLease]
    tax_factors: dict[tuple[int, int], float]  # (building, year) → calibration factor

    def tax_rows(self):
        """(company, period, total cents, district cents, building) — generated lazily."""
        yield from tax_rows(self)

    def digest(self, tax_sample: int = 5000) -> str:
        """A stable fingerprint of everything generated (tests compare it across processes)."""
        h = hashlib.sha256()
        for b in self.buildings:
            h.update(
                repr(
                    (
                        b.code,
                        b.name,
                        b.street,
                        b.zone,
                        b.address,
                        b.floors,
                        b.declared_cents,
                        b.gross_cents,
                        b.owner,
                        b.operator,
                    )
                ).encode()
            )
        for u in self.units:
            h.update(repr((u.building, u.floor, u.number, u.area_cents, u.self_use)).encode())
        for c in self.companies:
            h.update(
                repr(
                    (
                        c.name,
                        c.uscc,
                        c.section,
                        c.group,
                        c.registered,
                        c.taxed,
                        c.hq_type,
                        c.employees,
                        c.capital_wan,
                        c.contact_phone,
                        c.registered_building,
                    )
                ).encode()
            )
        for lease in self.leases:
            h.update(
                repr(
                    (
                        lease.building,
                        lease.units,
                        lease.start,
                        lease.end,
                        lease.moved_out_on,
                        lease.reason,
                        lease.company,
                    )
                ).encode()
            )
        for row in islice(self.tax_rows(), tax_sample):
            h.update(repr(row).encode())
        return h.hexdigest()


def generate(scale: int, as_of: str) -> DemoData:
    """Everything the demo loads, as plain records; a pure function of (scale, as_of)."""
    window = history_window(as_of)
    buildings, units = buildings_and_units(scale)
    units_of: dict[int, list[int]] = defaultdict(list)
    for i, unit in enumerate(units):
        units_of[unit.building].append(i)
    leases: list[GLease] = []
    for b, building in enumerate(buildings):
        leases.extend(building_leases(scale, b, building, units_of[b], units, window))
    link_moves(scale, leases, window)
    companies = draw_companies(scale, buildings, leases, window)
    factors = calibrate(scale, buildings, companies, leases, window)
    return DemoData(scale, as_of, window.periods, buildings, units, companies, leases, factors)
