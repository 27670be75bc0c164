"""Monthly snapshots: frozen month-end figures, and the month figures that prefer them.

A month whose snapshot a manager confirmed reads the snapshot, so a late edit of a lease never
silently rewrites a published month; any other month is derived from the leases. The same holds
for the district's tenants (``district_tenants``): a confirmed snapshot keeps the companies it
counted, and the district counts each company once over every building's list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import select

from crm.models import Building, OccupancySnapshot
from crm.services import periods as P
from crm.cache.versions import OCCUPANCY
from crm.cache import derived
from crm.services.occupancy import Occupancy, occupancy_on_days, tenant_sets_on_days


def confirmed_snapshots(session, periods: list[str], building_ids=None) -> dict[tuple[int, str], OccupancySnapshot]:
    stmt = select(OccupancySnapshot).where(
        OccupancySnapshot.period.in_(periods), OccupancySnapshot.confirmed_at.is_not(None)
    )
    if building_ids is not None:
        stmt = stmt.where(OccupancySnapshot.building_id.in_(building_ids))
    return {(s.building_id, s.period): s for s in session.scalars(stmt)}


def figures_of_snapshot(snapshot) -> Occupancy:
    """The figures a confirmed snapshot froze (an OccupancySnapshot or a row of its columns)."""
    return Occupancy(
        leasable_area=snapshot.leasable_area,
        occupied_area=snapshot.occupied_area,
        tenants=snapshot.tenants,
        registered_tenants=snapshot.registered_tenants,
        registered_area=snapshot.registered_area,
        confirmed=True,
    )


def occupancy_for_months(session, periods: list[str], building_ids=None) -> dict[tuple[int, str], Occupancy]:
    """Month-end figures per (building, period): the confirmed snapshot, else derived.

    Kept in the figure cache (snapshots, units, leases and companies all change the occupancy
    token). Only the buildings asked are computed: after a write to a lease every entry is
    recomputed, and the building page a manager opens next must not pay for the whole district;
    but when the district's figures of the same months are kept already, the buildings' share
    of them is the answer (the same figures: derived per building either way). Callers get
    copies they may add to."""
    periods = tuple(sorted(set(periods)))
    scope = None if building_ids is None else tuple(sorted(set(building_ids)))
    district = _month_figures.kept(session, periods, None) if scope is not None else None
    if district is not None:  # the district's figures of these months are at hand: take the buildings' share
        wanted = set(scope)
        found = {key: occ for key, occ in district.items() if key[0] in wanted}
    else:
        found = _month_figures(session, periods, scope)
    return {key: replace(occ) for key, occ in found.items()}


@derived(OCCUPANCY, shared=True)
def _month_figures(session, periods: tuple[str, ...], building_ids) -> dict[tuple[int, str], Occupancy]:
    snapshot = OccupancySnapshot
    columns = select(
        snapshot.building_id,
        snapshot.period,
        snapshot.leasable_area,
        snapshot.occupied_area,
        snapshot.tenants,
        snapshot.registered_tenants,
        snapshot.registered_area,
    )
    columns = columns.where(snapshot.period.in_(periods), snapshot.confirmed_at.is_not(None))
    if building_ids is not None:
        columns = columns.where(snapshot.building_id.in_(building_ids))
    frozen = {(row.building_id, row.period): figures_of_snapshot(row) for row in session.execute(columns)}
    # Derive only the months that some building has not confirmed: history is mostly frozen.
    buildings = building_ids if building_ids is not None else list(session.scalars(select(Building.id)))
    open_periods = [p for p in periods if any((bid, p) not in frozen for bid in buildings)]
    derived_days = (
        occupancy_on_days(session, [P.month_end(p) for p in open_periods], building_ids) if open_periods else {}
    )
    result = {(bid, P.period_of(day)): occ for (bid, day), occ in derived_days.items()}
    result.update(frozen)
    return result


@dataclass(frozen=True)
class MonthTenants:
    """One building's tenants at a month's end: the companies, the registered ones among them,
    and — for a snapshot confirmed before snapshots kept their companies, whose leases no longer
    count as many — how many it froze without saying which (each counted as a company of its own)."""

    ids: tuple[int, ...] = ()
    registered: tuple[int, ...] = ()
    unnamed: int = 0
    unnamed_registered: int = 0


def _unnamed_snapshot(
    snapshot_counts: tuple[int, int], from_leases: tuple[tuple[int, ...], tuple[int, ...]]
) -> MonthTenants:
    """A confirmed snapshot without its companies: the leases' companies when they still count
    as many as it froze (then they are the ones it counted), else its counts alone."""
    tenants, registered = snapshot_counts
    ids, registered_ids = from_leases
    if len(ids) != tenants:
        return MonthTenants(unnamed=tenants, unnamed_registered=registered)
    if len(registered_ids) != registered:
        return MonthTenants(ids=ids, unnamed_registered=registered)
    return MonthTenants(ids=ids, registered=registered_ids)


@derived(OCCUPANCY, shared=True)
def _month_tenants(session, period: str) -> dict[int, MonthTenants]:
    """Every building's tenants at the end of ``period``: those its confirmed snapshot froze, else
    (an unconfirmed month) those of the leases."""
    snapshot = OccupancySnapshot
    frozen, unnamed = {}, {}
    for building_id, ids, registered, tenants, registered_count in session.execute(
        select(
            snapshot.building_id,
            snapshot.tenant_ids,
            snapshot.registered_tenant_ids,
            snapshot.tenants,
            snapshot.registered_tenants,
        ).where(snapshot.period == period, snapshot.confirmed_at.is_not(None))
    ):
        if ids is not None:
            frozen[building_id] = MonthTenants(tuple(ids), tuple(registered or ()))
        else:
            unnamed[building_id] = (tenants, registered_count)
    buildings = list(session.scalars(select(Building.id)))
    open_ids = [bid for bid in buildings if bid not in frozen]
    from_leases = {}
    if open_ids:
        scope = None if len(open_ids) == len(buildings) else open_ids
        from_leases = {
            bid: sets for (bid, _), sets in tenant_sets_on_days(session, [P.month_end(period)], scope).items()
        }
    result = {bid: MonthTenants(*sets) for bid, sets in from_leases.items() if bid not in unnamed}
    for bid, counts in unnamed.items():
        result[bid] = _unnamed_snapshot(counts, from_leases.get(bid, ((), ())))
    result.update(frozen)
    return result


def district_tenants(session, period: str, building_ids=None) -> tuple[int, int]:
    """(tenants, registered tenants) of the buildings ``building_ids`` (None: all) at the end of
    ``period``: distinct companies, a company in several of them counted once."""
    wanted = None if building_ids is None else set(building_ids)
    tenants: set[int] = set()
    registered: set[int] = set()
    unnamed = unnamed_registered = 0
    for building_id, found in _month_tenants(session, period).items():
        if wanted is None or building_id in wanted:
            tenants.update(found.ids)
            registered.update(found.registered)
            unnamed += found.unnamed
            unnamed_registered += found.unnamed_registered
    return len(tenants) + unnamed, len(registered) + unnamed_registered


def record_snapshots(session, periods: list[str], building_ids, confirmed_by=None) -> int:
    """Freeze the derived month-end figures of ``periods`` for the given buildings."""
    derived = occupancy_on_days(session, [P.month_end(p) for p in periods], building_ids, with_tenants=True)
    now = datetime.now(timezone.utc)
    rows = []
    for period in periods:
        day = P.month_end(period)
        for bid in building_ids:
            occ = derived.get((bid, day), Occupancy())
            rows.append(
                OccupancySnapshot(
                    building_id=bid,
                    period=period,
                    leasable_area=occ.leasable_area,
                    occupied_area=occ.occupied_area,
                    vacant_area=occ.vacant_area,
                    tenants=occ.tenants,
                    registered_tenants=occ.registered_tenants,
                    registered_area=occ.registered_area,
                    tenant_ids=list(occ.tenant_ids or ()),
                    registered_tenant_ids=list(occ.registered_ids or ()),
                    confirmed_at=now if confirmed_by is not None else None,
                    confirmed_by_id=confirmed_by.id if confirmed_by is not None else None,
                )
            )
    session.add_all(rows)
    session.flush()
    return len(rows)
