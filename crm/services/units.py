"""Units of a building with their derived status on a day — what the stacking plan draws — and,
for a unit no lease covers, the lease that ran out on it without a move-out (到期未处置).

Self-use is read from the dated periods (``crm.services.self_use``), so a past day shows the
status the unit had then.

``plan_states_of`` gives the same states for many buildings at once as plain read-only rows
(no ORM objects): what the district's stacking plans draw, where thousands of units are loaded
in one request."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from crm.models import Building, Company, Lease, Unit, UnitSelfUse, lease_units
from crm.services.occupancy import lease_active_on, lease_lapsed_on, unit_exists_on
from crm.services.self_use import by_unit, period_on


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
    return unit_states_of(session, [building.id], day).get(building.id, [])


def unit_states_of(session, building_ids, day: date) -> dict[int, list[UnitState]]:
    """{building id: its units' states on ``day``, top floor first} for ``building_ids`` (None:
    every building) — five queries whatever the number of buildings."""
    scoped = _scope(building_ids)
    units = list(
        session.scalars(
            scoped(select(Unit).where(unit_exists_on(day)), Unit.building_id).order_by(
                Unit.building_id, Unit.floor.desc(), Unit.number
            )
        )
    )
    # Leases and their unit ids in two light queries; the units are the ones just loaded, so each
    # lease's collection is filled in place instead of loading every unit a second time.
    active = scoped(select(Lease).where(lease_active_on(day)), Lease.building_id)
    leases = {
        lease.id: lease
        for lease in session.scalars(active.options(joinedload(Lease.company)).order_by(Lease.start_date))
    }
    lease_of_unit = _lease_of_unit(session, scoped, day, leases)
    by_id = {unit.id: unit for unit in units}
    units_of_lease = defaultdict(list)
    for unit_id, lease in lease_of_unit.items():
        if unit_id in by_id:
            units_of_lease[lease.id].append(by_id[unit_id])
    for lease in leases.values():
        set_committed_value(lease, "units", sorted(units_of_lease[lease.id], key=lambda u: (u.floor, u.number)))
    periods = by_unit(
        session.scalars(scoped(select(UnitSelfUse).join(Unit, Unit.id == UnitSelfUse.unit_id), Unit.building_id))
    )
    lapsed = _lapsed_by_unit(session, building_ids, day)
    return _states_by_building(units, lease_of_unit, periods, lapsed, day)


def _scope(building_ids):
    """A statement limited to ``building_ids`` by one of its columns (None: every building)."""

    def scoped(stmt, column):
        return stmt if building_ids is None else stmt.where(column.in_(list(building_ids)))

    return scoped


def _lease_of_unit(session, scoped, day: date, leases: dict) -> dict:
    """{unit id: its lease among ``leases`` (by id), active on ``day``} — the pairs in one query."""
    pairs = session.execute(
        scoped(
            select(lease_units.c.unit_id, lease_units.c.lease_id)
            .join(Lease, Lease.id == lease_units.c.lease_id)
            .where(lease_active_on(day)),
            Lease.building_id,
        )
    )
    return {unit_id: leases[lease_id] for unit_id, lease_id in pairs if lease_id in leases}


def _states_by_building(units, lease_of_unit, periods, lapsed, day: date) -> dict[int, list[UnitState]]:
    """Each unit's state on ``day`` from its lease, self-use periods and lapsed lease, by building."""
    states: dict[int, list[UnitState]] = defaultdict(list)
    for unit in units:
        lease, own = lease_of_unit.get(unit.id), period_on(periods.get(unit.id, ()), day)
        states[unit.building_id].append(
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
    return _lapsed_by_unit(session, [building.id], day)


def _lapsed_by_unit(session, building_ids, day: date) -> dict[int, Lease]:
    stmt = (
        select(lease_units.c.unit_id, Lease)
        .join(Lease, Lease.id == lease_units.c.lease_id)
        .where(lease_lapsed_on(day))
        .options(joinedload(Lease.company))
        .order_by(Lease.end_date)
    )
    return {
        unit_id: lease for unit_id, lease in session.execute(_scope(building_ids)(stmt, Lease.building_id))
    }  # the latest end wins


class PlanCompany(NamedTuple):
    id: int
    name: str
    industry_group: str | None
    registered_in_district: bool


class PlanLease(NamedTuple):
    id: int
    building_id: int
    company_id: int
    end_date: date | None
    company: PlanCompany


class PlanUnit(NamedTuple):
    id: int
    building_id: int
    floor: int
    number: str
    area: Decimal
    reserved_until: date | None

    @property
    def label(self) -> str:
        return f"{self.floor}F-{self.number}"


class PlanPeriod(NamedTuple):
    unit_id: int
    start_date: date | None
    end_date: date | None

    def covers(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)


LEASE_COLUMNS = (
    Lease.id,
    Lease.building_id,
    Lease.company_id,
    Lease.end_date,
    Company.name,
    Company.industry_group,
    Company.registered_in_district,
)


def _plan_lease(row) -> PlanLease:
    lease_id, building_id, company_id, end, name, group, registered = row
    return PlanLease(lease_id, building_id, company_id, end, PlanCompany(company_id, name, group, bool(registered)))


def plan_states_of(session, building_ids, day: date) -> dict[int, list[UnitState]]:
    """``unit_states_of`` as plain rows: {building id: states, top floor first} whose unit, lease
    (with its company), lapsed lease and self-use period are read-only tuples carrying the fields
    a stacking plan and its lenses show. Same five queries, same statuses."""
    scoped = _scope(building_ids)
    units = [
        PlanUnit(*row)
        for row in session.execute(
            scoped(
                select(Unit.id, Unit.building_id, Unit.floor, Unit.number, Unit.area, Unit.reserved_until).where(
                    unit_exists_on(day)
                ),
                Unit.building_id,
            ).order_by(Unit.building_id, Unit.floor.desc(), Unit.number)
        )
    ]
    leases = {
        row[0]: _plan_lease(row)
        for row in session.execute(
            scoped(
                select(*LEASE_COLUMNS).join(Company, Company.id == Lease.company_id).where(lease_active_on(day)),
                Lease.building_id,
            ).order_by(Lease.start_date)
        )
    }
    lease_of_unit = _lease_of_unit(session, scoped, day, leases)
    periods = by_unit(
        PlanPeriod(*row)
        for row in session.execute(
            scoped(
                select(UnitSelfUse.unit_id, UnitSelfUse.start_date, UnitSelfUse.end_date).join(
                    Unit, Unit.id == UnitSelfUse.unit_id
                ),
                Unit.building_id,
            )
        )
    )
    lapsed = {
        row[0]: _plan_lease(row[1:])
        for row in session.execute(
            scoped(
                select(lease_units.c.unit_id, *LEASE_COLUMNS)
                .join(Lease, Lease.id == lease_units.c.lease_id)
                .join(Company, Company.id == Lease.company_id)
                .where(lease_lapsed_on(day)),
                Lease.building_id,
            ).order_by(Lease.end_date)
        )
    }  # the latest end wins
    return _states_by_building(units, lease_of_unit, periods, lapsed, day)


def floors(states: list[UnitState]) -> list[tuple[int, list[UnitState]]]:
    """States grouped by floor, top floor first, for the stacking plan."""
    by_floor: dict[int, list[UnitState]] = defaultdict(list)
    for state in states:
        by_floor[state.unit.floor].append(state)
    return sorted(by_floor.items(), key=lambda item: item[0], reverse=True)
