"""Monthly confirmation (月度填报): a manager checks last month's figures and freezes them.

From the first day of a month each manager sees, per building, the month before: occupied and
vacant area, tenants, registered tenants, move-ins and move-outs — with anything that looks
wrong flagged (occupancy moved by more than 10 points against the previous month, units without
an area, leasable area above the declared office area). Confirming writes the month's snapshot
(``OccupancySnapshot``) with who and when; from then on every page reads the snapshot. A month
that has not ended cannot be confirmed, nor one while a lease of the building that ended in or
before it is 到期未处置 (lapsed: no move-out, no renewal) — those are listed to be resolved first.
A confirmed month changes only by a correction with a reason (``crm.services.corrections``): the
one every late change is, or ``correct_month``, which re-derives the month from the data as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.models import Building, Correction, Lease, OccupancySnapshot, Unit
from crm.services import periods as P
from crm.services.corrections import apply_figures, clean_reason, correction_counts, recompute_month
from crm.services.errors import DomainError
from crm.services.moves import move_counts
from crm.services.occupancy import Occupancy, lease_lapsed_on, occupancy_on_days, unit_exists_on
from crm.services.snapshots import figures_of_snapshot, occupancy_for_months

JUMP_POINTS = 10  # an occupancy change larger than this (percentage points) is flagged
MIN_UNIT_AREA = 1


@dataclass
class MonthCheck:
    """One building's month as the manager is asked to confirm it."""

    building: Building
    period: str
    figures: Occupancy
    derived: Occupancy
    previous: Occupancy
    move_ins: int = 0
    move_outs: int = 0
    snapshot: OccupancySnapshot | None = None
    flags: list[str] = field(default_factory=list)
    lapsed: list[Lease] = field(default_factory=list)  # to resolve before confirming

    @property
    def confirmed(self) -> bool:
        return self.snapshot is not None and self.snapshot.confirmed_at is not None

    @property
    def blocked(self) -> bool:
        return not self.confirmed and bool(self.lapsed)

    @property
    def change_points(self) -> float | None:
        now, before = self.figures.occupancy, self.previous.occupancy
        if now is None or before is None:
            return None
        return (now - before) * 100

    @property
    def differs_from_derived(self) -> bool:
        """A confirmed month whose leases now say otherwise: a correction may be due."""
        return self.confirmed and (
            self.derived.occupied_area != self.figures.occupied_area
            or self.derived.leasable_area != self.figures.leasable_area
            or self.derived.tenants != self.figures.tenants
        )


def due_period(today: date) -> str:
    """The month a manager confirms today: the last complete one."""
    return P.last_complete_month(today)


def check_period_ended(period: str, today: date) -> None:
    if P.month_end(period) >= today:
        raise DomainError(
            f"{P.label(period)}尚未结束（月末为 {P.month_end(period)}），月度数据要到下月 1 日起才能确认",
            field="period",
        )


def _units_without_area(session, building_ids, day: date) -> dict[int, int]:
    return dict(
        session.execute(
            select(Unit.building_id, func.count())
            .where(Unit.building_id.in_(building_ids), unit_exists_on(day), func.coalesce(Unit.area, 0) < MIN_UNIT_AREA)
            .group_by(Unit.building_id)
        ).all()
    )


def lapsed_leases(session, building_ids, period: str) -> dict[int, list[Lease]]:
    """Per building: leases that ended in or before ``period`` and are 到期未处置 now — no move-out,
    no renewal. The month cannot be confirmed until each is renewed, moved out or made open-ended."""
    if not building_ids:
        return {}
    day_after = P.month_end(period) + timedelta(days=1)
    stmt = (
        select(Lease)
        .where(Lease.building_id.in_(list(building_ids)), lease_lapsed_on(day_after))
        .options(selectinload(Lease.company), selectinload(Lease.units))
        .order_by(Lease.end_date, Lease.id)
    )
    found: dict[int, list[Lease]] = {}
    for lease in session.scalars(stmt):
        found.setdefault(lease.building_id, []).append(lease)
    return found


def _snapshots(session, period: str, building_ids) -> dict[int, OccupancySnapshot]:
    stmt = select(OccupancySnapshot).where(
        OccupancySnapshot.period == period, OccupancySnapshot.building_id.in_(building_ids)
    )
    return {s.building_id: s for s in session.scalars(stmt)}


def reaching_confirmed(session, leases: list[Lease]) -> set[int]:
    """Ids of the lapsed ``leases`` whose resolution from the day after their end reaches a
    confirmed month: it is a correction, and the form asks for its reason."""
    if not leases:
        return set()
    confirmed = session.execute(
        select(OccupancySnapshot.building_id, func.max(OccupancySnapshot.period))
        .where(
            OccupancySnapshot.building_id.in_({lease.building_id for lease in leases}),
            OccupancySnapshot.confirmed_at.is_not(None),
        )
        .group_by(OccupancySnapshot.building_id)
    )
    latest = dict(confirmed.all())
    return {
        lease.id
        for lease in leases
        if lease.building_id in latest and latest[lease.building_id] >= P.period_of(lease.end_date + timedelta(days=1))
    }


def flags_of(check: MonthCheck, no_area: int) -> list[str]:
    flags = []
    points = check.change_points
    if points is not None and abs(points) > JUMP_POINTS:
        flags.append(
            f"入驻率较上月{'上升' if points > 0 else '下降'} {abs(points):.1f} 个百分点（超过 {JUMP_POINTS} 个），请核对入驻和迁出是否登记正确"
        )
    if no_area:
        flags.append(f"{no_area} 个单元没有面积，请补录面积")
    if check.figures.leasable_area > check.building.declared_office_area:
        flags.append("可租面积超过登记办公面积，请核对单元面积")
    if check.lapsed:
        flags.append(f"{len(check.lapsed)} 份租约到期未处置：请逐份续租、登记迁出或转为不定期，之后才能确认")
    if check.differs_from_derived:
        flags.append("已确认的数字与现有租约推算结果不一致，如有漏登记请提交更正")
    return flags


def month_checks(session, buildings: list[Building], period: str) -> list[MonthCheck]:
    """The figures, moves and flags of ``period`` for each building — a fixed number of queries."""
    if not buildings:
        return []
    ids = [b.id for b in buildings]
    day = P.month_end(period)
    derived = occupancy_on_days(session, [day], ids)
    previous = occupancy_for_months(session, [P.shift(period, -1)], ids)
    snapshots = _snapshots(session, period, ids)
    moves = move_counts(session, ids, P.month_start(period), day)
    no_area = _units_without_area(session, ids, day)
    lapsed = lapsed_leases(session, ids, period)
    checks = []
    for building in buildings:
        now = derived.get((building.id, day), Occupancy())
        snapshot = snapshots.get(building.id)
        frozen = snapshot is not None and snapshot.confirmed_at is not None
        check = MonthCheck(
            building=building,
            period=period,
            figures=figures_of_snapshot(snapshot) if frozen else now,
            derived=now,
            previous=previous.get((building.id, P.shift(period, -1)), Occupancy()),
            move_ins=moves[building.id][0],
            move_outs=moves[building.id][1],
            snapshot=snapshot,
            lapsed=lapsed.get(building.id, []),
        )
        check.flags = flags_of(check, no_area.get(building.id, 0))
        checks.append(check)
    return checks


def confirm_month(session, user, building: Building, period: str, today: date) -> OccupancySnapshot:
    """Freeze ``period``'s derived month-end figures for ``building``, confirmed by ``user``."""
    period = P.parse_period(period, "period")
    check_period_ended(period, today)
    snapshot = session.scalar(
        select(OccupancySnapshot).where(
            OccupancySnapshot.building_id == building.id, OccupancySnapshot.period == period
        )
    )
    if snapshot is not None and snapshot.confirmed_at is not None:
        who = snapshot.confirmed_by.display_name if snapshot.confirmed_by else "他人"
        raise DomainError(
            f"{building.name} {P.label(period)}的数据已由 {who} 确认；如需修改，请提交更正并说明原因", field="period"
        )
    refuse_lapsed(session, building, period)
    occ = occupancy_on_days(session, [P.month_end(period)], [building.id], with_tenants=True).get(
        (building.id, P.month_end(period)), Occupancy()
    )
    confirmed_by = user.id  # read first: loading an expired user would flush a half-made snapshot
    if snapshot is None:
        snapshot = OccupancySnapshot(building_id=building.id, period=period)
        session.add(snapshot)
    apply_figures(snapshot, occ)
    snapshot.confirmed_at = datetime.now(timezone.utc)
    snapshot.confirmed_by_id = confirmed_by
    session.flush()
    return snapshot


def refuse_lapsed(session, building: Building, period: str) -> None:
    lapsed = lapsed_leases(session, [building.id], period).get(building.id, [])
    if lapsed:
        names = "、".join(f"{lease.company.name}（{lease.end_date} 到期）" for lease in lapsed[:3]) + (
            "等" if len(lapsed) > 3 else ""
        )
        raise DomainError(
            f"{building.name} 有 {len(lapsed)} 份租约到期未处置：{names}。请先续租、登记迁出或转为不定期，"
            f"再确认{P.label(period)}的数据",
            field="lapsed",
        )


def correct_month(session, building: Building, period: str, reason: str) -> Correction | None:
    """Re-derive a confirmed month from the current leases, with a reason; None when unchanged."""
    period = P.parse_period(period, "period")
    if len(clean_reason(reason)) < 2:
        raise DomainError("请填写更正原因（例如：9 月 20 日迁出漏登记）", field="reason")
    snapshot = session.scalar(
        select(OccupancySnapshot).where(
            OccupancySnapshot.building_id == building.id,
            OccupancySnapshot.period == period,
            OccupancySnapshot.confirmed_at.is_not(None),
        )
    )
    if snapshot is None:
        raise DomainError(f"{building.name} {P.label(period)}尚未确认，无需更正，直接确认即可", field="period")
    return recompute_month(session, snapshot, reason)


@dataclass
class StatusGrid:
    periods: list[str]
    buildings: list[Building]
    cells: dict[tuple[int, str], OccupancySnapshot]
    corrections: dict[tuple[int, str], int] = field(default_factory=dict)  # how many each month had

    def confirmed_count(self, period: str) -> int:
        return sum(1 for b in self.buildings if (b.id, period) in self.cells)


def confirmation_status(session, buildings: list[Building], last_period: str, months: int = 12) -> StatusGrid:
    """Which buildings confirmed which of the ``months`` months ending ``last_period``."""
    periods = P.months_ending(last_period, months)
    ids = [b.id for b in buildings]
    stmt = (
        select(OccupancySnapshot)
        .options(selectinload(OccupancySnapshot.confirmed_by))
        .where(
            OccupancySnapshot.period.in_(periods),
            OccupancySnapshot.building_id.in_(ids),
            OccupancySnapshot.confirmed_at.is_not(None),
        )
    )
    cells = {(s.building_id, s.period): s for s in session.scalars(stmt)} if ids else {}
    return StatusGrid(list(reversed(periods)), buildings, cells, correction_counts(session, ids, periods))
