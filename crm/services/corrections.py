"""Changes that reach into a month a manager has already confirmed.

A confirmed month reads its frozen snapshot, so a move-in, move-out or unit change dated in it
would otherwise be invisible in the published figures — or, worse, change them silently. Such a
change is therefore allowed only as a correction with a reason: the operation names the day it
takes effect, ``require_reason`` refuses it without one, and ``correct_from`` re-derives every
confirmed month from that day on and records the new figures as corrections in the history.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from crm.models import Building, OccupancySnapshot
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.occupancy import Occupancy, occupancy_on_days

REASON_FIELD = "correction_reason"
FIGURES = ("leasable_area", "occupied_area", "vacant_area", "tenants", "registered_tenants", "registered_area")


def confirmed_since(session, building: Building, day: date) -> list[OccupancySnapshot]:
    """Confirmed snapshots of ``building`` whose month ends on or after ``day``, oldest first."""
    return list(session.scalars(
        select(OccupancySnapshot)
        .where(
            OccupancySnapshot.building_id == building.id,
            OccupancySnapshot.confirmed_at.is_not(None),
            OccupancySnapshot.period >= P.period_of(day),
        )
        .order_by(OccupancySnapshot.period)
    ))


def clean_reason(reason: str | None) -> str:
    return (reason or "").strip()


def require_reason(session, building: Building, day: date, reason: str | None) -> list[OccupancySnapshot]:
    """The confirmed months ``day`` reaches into; refuses when there are some and no reason."""
    frozen = confirmed_since(session, building, day)
    if frozen and not clean_reason(reason):
        months = "、".join(P.label(s.period) for s in frozen[:3]) + ("等" if len(frozen) > 3 else "")
        raise DomainError(
            f"{months}的入驻数据已确认。{day} 的变更会改动已确认的月份，只能作为更正提交：请填写更正原因",
            field=REASON_FIELD,
        )
    return frozen


def apply_figures(snapshot: OccupancySnapshot, occ: Occupancy) -> bool:
    """Copy derived figures (with the tenants, when ``occ`` lists them) onto a snapshot; whether
    any of them differs from what it held. Tenants first listed on a snapshot that had none are
    no change: its counts tell whether anything changed."""
    new = dict(
        leasable_area=occ.leasable_area, occupied_area=occ.occupied_area, vacant_area=occ.vacant_area,
        tenants=occ.tenants, registered_tenants=occ.registered_tenants, registered_area=occ.registered_area,
    )
    changed = any(getattr(snapshot, key) != value for key, value in new.items())
    if occ.tenant_ids is not None:
        tenants = dict(tenant_ids=list(occ.tenant_ids), registered_tenant_ids=list(occ.registered_ids or ()))
        changed = changed or (snapshot.tenant_ids is not None and any(
            getattr(snapshot, key) != value for key, value in tenants.items()))
        new.update(tenants)
    for key, value in new.items():
        setattr(snapshot, key, value)
    return changed


def correct_snapshots(session, snapshots: list[OccupancySnapshot], reason: str) -> list[OccupancySnapshot]:
    """Re-derive ``snapshots`` from the current leases and units; returns those that changed."""
    if not snapshots:
        return []
    derived = occupancy_on_days(
        session, [P.month_end(s.period) for s in snapshots], list({s.building_id for s in snapshots}), with_tenants=True
    )
    now = datetime.now(timezone.utc)
    changed = []
    for snapshot in snapshots:
        occ = derived.get((snapshot.building_id, P.month_end(snapshot.period)), Occupancy())
        if apply_figures(snapshot, occ):
            snapshot.corrected_at = now
            snapshot.correction_reason = clean_reason(reason)
            changed.append(snapshot)
    session.flush()
    return changed


def correct_from(session, snapshots: list[OccupancySnapshot], reason: str | None) -> list[OccupancySnapshot]:
    """After an operation that reached into confirmed months: correct them with the reason."""
    if not snapshots:
        return []
    session.flush()  # the operation's own rows must be visible to the re-derivation
    return correct_snapshots(session, snapshots, clean_reason(reason))
