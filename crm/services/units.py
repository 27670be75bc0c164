"""Units of a building with their derived status on a day — what the stacking plan draws."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from crm.models import Building, Lease, Unit
from crm.services.leases import active_leases
from crm.services.occupancy import unit_exists_on


@dataclass
class UnitState:
    unit: Unit
    status: str  # occupied | reserved | self_use | vacant
    lease: Lease | None = None


def status_of(unit: Unit, lease: Lease | None, day: date) -> str:
    if lease is not None:
        return "occupied"
    if unit.reserved_until is not None and unit.reserved_until >= day:
        return "reserved"
    if unit.self_use:
        return "self_use"
    return "vacant"


def unit_states(session, building: Building, day: date) -> list[UnitState]:
    units = session.scalars(
        select(Unit)
        .where(Unit.building_id == building.id, unit_exists_on(day))
        .order_by(Unit.floor.desc(), Unit.number)
    )
    lease_of_unit = {unit.id: lease for lease in active_leases(session, building.id, day) for unit in lease.units}
    return [UnitState(u, status_of(u, lease_of_unit.get(u.id), day), lease_of_unit.get(u.id)) for u in units]


def floors(states: list[UnitState]) -> list[tuple[int, list[UnitState]]]:
    """States grouped by floor, top floor first, for the stacking plan."""
    by_floor: dict[int, list[UnitState]] = defaultdict(list)
    for state in states:
        by_floor[state.unit.floor].append(state)
    return sorted(by_floor.items(), key=lambda item: item[0], reverse=True)
