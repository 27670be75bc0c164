"""Units of a building with their derived status on a day — what the stacking plan draws — and,
for a unit no lease covers, the lease that ran out on it without a move-out (到期未处置).

Self-use is read from the dated periods (``crm.services.self_use``), so a past day shows the
status the unit had then."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from crm.models import Building, Lease, Unit, UnitSelfUse, lease_units
from crm.services.leases import active_leases
from crm.services.occupancy import lease_lapsed_on, unit_exists_on
from crm.services.self_use import period_on, periods_of


@dataclass
class UnitState:
    unit: Unit
    status: str  # occupied | reserved | self_use | vacant
    lease: Lease | None = None
    lapsed: Lease | None = None  # no active lease, and this one ran out with no move-out
    self_use: UnitSelfUse | None = None  # the self-use period covering the day

    @property
    def is_self_use(self) -> bool:
        return self.self_use is not None


def status_of(unit: Unit, lease: Lease | None, day: date, self_use: bool = False) -> str:
    """A unit's status on ``day``: ``self_use`` says whether a self-use period covers that day."""
    if lease is not None:
        return "occupied"
    if unit.reserved_until is not None and unit.reserved_until >= day:
        return "reserved"
    if self_use:
        return "self_use"
    return "vacant"


def unit_states(session, building: Building, day: date) -> list[UnitState]:
    units = list(
        session.scalars(
            select(Unit)
            .where(Unit.building_id == building.id, unit_exists_on(day))
            .order_by(Unit.floor.desc(), Unit.number)
        )
    )
    # Leases and their unit ids in two light queries; the units are the ones just loaded, so each
    # lease's collection is filled in place instead of loading every unit a second time.
    leases = {lease.id: lease for lease in active_leases(session, building.id, day, with_units=False)}
    pairs = session.execute(
        select(lease_units.c.unit_id, lease_units.c.lease_id).where(lease_units.c.lease_id.in_(leases))
    )
    lease_of_unit = {unit_id: leases[lease_id] for unit_id, lease_id in pairs}
    by_id = {unit.id: unit for unit in units}
    units_of_lease = defaultdict(list)
    for unit_id, lease in lease_of_unit.items():
        if unit_id in by_id:
            units_of_lease[lease.id].append(by_id[unit_id])
    for lease in leases.values():
        set_committed_value(lease, "units", sorted(units_of_lease[lease.id], key=lambda u: (u.floor, u.number)))
    periods = periods_of(session, by_id)
    lapsed = lapsed_by_unit(session, building, day)
    states = []
    for unit in units:
        lease, own = lease_of_unit.get(unit.id), period_on(periods.get(unit.id, []), day)
        states.append(
            UnitState(
                unit,
                status_of(unit, lease, day, own is not None),
                lease,
                None if lease is not None else lapsed.get(unit.id),
                own,
            )
        )
    return states


def lapsed_by_unit(session, building: Building, day: date) -> dict[int, Lease]:
    """{unit id: the latest lease on it that is 到期未处置 on ``day``} for the building."""
    rows = session.execute(
        select(lease_units.c.unit_id, Lease)
        .join(Lease, Lease.id == lease_units.c.lease_id)
        .where(Lease.building_id == building.id, lease_lapsed_on(day))
        .options(joinedload(Lease.company))
        .order_by(Lease.end_date)
    )
    return {unit_id: lease for unit_id, lease in rows}  # the latest end wins


def floors(states: list[UnitState]) -> list[tuple[int, list[UnitState]]]:
    """States grouped by floor, top floor first, for the stacking plan."""
    by_floor: dict[int, list[UnitState]] = defaultdict(list)
    for state in states:
        by_floor[state.unit.floor].append(state)
    return sorted(by_floor.items(), key=lambda item: item[0], reverse=True)
