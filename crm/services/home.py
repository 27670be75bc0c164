"""What each role's home panel shows at the top of ``/``: the day's work of the person signed in.

- a manager: last month's 月度填报 over their buildings (confirmed or not), the leases 到期未处置,
  the move-in requests waiting for them, and the leases ending within 30 and 90 days;
- a promoter: their follow-ups due today, overdue and never started, the most urgent first;
- a leader: the latest monthly briefing, the 亿元楼 progress of the year (this year's 亿元楼, the
  candidates' projection against the threshold — ``crm.services.candidates``), and the month's
  headline changes (``crm.services.bridge``, passed in by the view that has it already).

Plain data, computed from a session, the user's buildings and "today"; the view renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from crm.cache import derived
from crm.cache.versions import OCCUPANCY
from crm.models import Briefing, Building
from crm.services import expiries
from crm.services import periods as P
from crm.services.candidates import BuildingRow, CandidateReport, candidate_report
from crm.services.confirmation import due_period
from crm.services.errors import DomainError
from crm.services.followups import MyWork, my_work
from crm.services.landing import pending_request_count
from crm.services.snapshots import confirmed_snapshots

SHOWN = 5  # items listed per block; the full list is one click away


@dataclass(frozen=True)
class UnconfirmedBuilding:
    id: int
    code: str
    name: str


@dataclass
class ManagerHome:
    period: str  # the month to confirm (last month)
    buildings: int
    unconfirmed: tuple[UnconfirmedBuilding, ...]
    lapsed: int
    pending_moveins: int
    expiring_30: int
    expiring_90: int

    @property
    def confirmed(self) -> int:
        return self.buildings - len(self.unconfirmed)


def manager_home(session, building_ids, today: date) -> ManagerHome:
    """``building_ids``: the manager's buildings (None: every building, for an admin)."""
    period = due_period(today)
    buildings, unconfirmed = _confirmations(session, period, building_ids)
    return ManagerHome(
        period=period,
        buildings=buildings,
        unconfirmed=unconfirmed,
        lapsed=expiries.count_overdue(session, today, building_ids),
        pending_moveins=pending_request_count(session, building_ids),
        expiring_30=expiries.count_expiring(session, today, 30, building_ids),
        expiring_90=expiries.count_expiring(session, today, 90, building_ids),
    )


@derived(OCCUPANCY, shared=True)  # every manager's and admin's home; an admin's reads every building
def _confirmations(session, period: str, building_ids) -> tuple[int, tuple[UnconfirmedBuilding, ...]]:
    """(how many of ``building_ids`` there are — None: every building —, those whose figures of
    ``period`` are not confirmed yet, by code)."""
    stmt = select(Building.id, Building.code, Building.name).order_by(Building.code)
    if building_ids is not None:
        stmt = stmt.where(Building.id.in_(list(building_ids)))
    rows = session.execute(stmt).all()
    confirmed = {building_id for building_id, _ in confirmed_snapshots(session, [period], building_ids)}
    return len(rows), tuple(UnconfirmedBuilding(*row) for row in rows if row.id not in confirmed)


def promoter_home(session, user_id: int, today: date) -> MyWork:
    return my_work(session, today, user_id, limit=SHOWN)


@dataclass
class LeaderHome:
    briefing_month: str  # the last complete month: the briefing a leader asks for
    briefing: Briefing | None  # its newest archived version, if any (generated on download if not)
    report: CandidateReport | None
    report_error: str | None = None
    near: list[BuildingRow] = field(default_factory=list)  # candidates, closest to the threshold first


def latest_briefing(session, month: str) -> Briefing | None:
    """The newest archived version of ``month``'s briefing."""
    return session.scalar(select(Briefing).where(Briefing.period == month).order_by(Briefing.version.desc()).limit(1))


def leader_home(session, today: date) -> LeaderHome:
    month = P.last_complete_month(today)
    try:
        report = candidate_report(session, latest_allowed=P.period_of(today), today=today)
        error = None
    except DomainError as exc:  # no tax data yet
        report, error = None, exc.message
    home = LeaderHome(month, latest_briefing(session, month), report, error)
    if report is not None:
        home.near = report.candidates[:SHOWN]
    return home
