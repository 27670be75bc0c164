"""A lead's state at a moment, and the leads' part in a moment's figures kept up to date.

The as-of rules (DESIGN.md "As of"; ``pipeline``'s module docstring) are written here once, as SQL
over the leads: ``state_columns`` gives a lead's stage and overdue flag at a moment,
``counted_at`` the leads that count then.

A month's figures (funnel, landings, each promoter's active leads, expected tax and overdue
count) and the 亿元楼 potentials are sums over the leads' states at the month's end. Counting
them reads each lead's stage and due date then from its history: one look-up per lead, which
grew with the pipeline (66 ms of a dashboard's 123 at 20,000 leads after every follow-up).

``states_at`` keeps, per moment and first-follow-up rule, each lead's part and the sums of the
parts in the groups the figures are read from: (stage then, owner) for the month's tallies,
(target building, stage then, number of targets) for the potentials. After a write it counts
again only the leads the journal names (``crm.cache.journal.summed_by_lead``), so the figures
are those a count of every lead gives, to the cent; the tests compare the two after every kind
of write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Date, and_, case, exists, func, literal, select

from crm.cache import journal
from crm.models import FollowUp, Lead, LeadStageChange, lead_target_buildings
from crm.models.lead import ACTIVE_STAGES
from crm.services import periods as P

CENT = Decimal("0.01")
NOT_YET = ""  # the stage of a lead at a moment before its creation was recorded


@dataclass(frozen=True)
class AsOf:
    """The moment month figures are read at: the end of ``month``, or ``today`` while it runs."""

    month: str
    day: date
    live: bool  # the day is today: the leads' own columns are their state, nothing to rewind

    @property
    def first(self) -> date:
        return P.month_start(self.month)

    @property
    def year_start(self) -> date:
        return self.first.replace(month=1)


def as_of(month: str, today: date | None) -> AsOf:
    """The as-of moment of ``month``. Without ``today`` (a scheduled job asks only for ended
    months) the month's end, read from the history."""
    day = P.as_of_day(month, today)
    return AsOf(month, day, day == today)


def _after(day: date) -> datetime:
    """The first moment after ``day`` in Beijing time, in UTC (stage changes are stamped in UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=P.BUSINESS_TZ).astimezone(timezone.utc)


def _first_of_each(stmt, partition, *order):
    """``stmt``'s first row per ``partition`` in ``order`` (a window function: one pass)."""
    ranked = stmt.add_columns(func.row_number().over(partition_by=partition, order_by=order).label("rank")).subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)


def state_columns(at: AsOf, first_followup_days: int, lead_ids=None) -> tuple:
    """(a lead's stage, 1 when it is active and overdue else 0, the outer join they need) at
    ``at`` as SQL over ``Lead``: the rules of ``pipeline._lead_states``, for the database to
    count. The join (None while the month runs) is each lead's first stage change after the
    moment: its from-stage was the stage then (NOT_YET for a lead created later). ``lead_ids``
    limits the history read to the leads a query asks for."""
    day = at.day
    if at.live:
        return Lead.stage, one_when(and_(Lead.stage.in_(ACTIVE_STAGES), Lead.next_followup_on < day)), None
    later = select(LeadStageChange.lead_id, LeadStageChange.from_stage).where(LeadStageChange.changed_at >= _after(day))
    if lead_ids is not None:
        later = later.where(LeadStageChange.lead_id.in_(lead_ids))
    first_later = _first_of_each(
        later,
        LeadStageChange.lead_id,
        LeadStageChange.changed_at,
        LeadStageChange.id,
    ).subquery()
    stage = case((first_later.c.lead_id.is_(None), Lead.stage), else_=func.coalesce(first_later.c.from_stage, NOT_YET))
    # The follow-up look-ups only for the leads active then (AND stops early).
    overdue = one_when(and_(stage.in_(ACTIVE_STAGES), _due_then(day, first_followup_days) < day))
    return stage, overdue, (first_later, first_later.c.lead_id == Lead.id)


def one_when(condition):
    """SQL: 1 when ``condition`` holds, else 0 (a count's term)."""
    return case((condition, 1), else_=0)


NEVER_DUE, LONG_DUE = date.max, date.min  # stand-ins that compare as "not overdue" / "overdue"


def _due_then(day: date, first_followup_days: int):
    """The next follow-up date in force at ``day`` as one SQL expression over ``Lead`` (the rule
    of ``pipeline._lead_states``): the one the latest follow-up by then set (one index seek; never due
    when it set none); before any follow-up, the lead's own date; for a lead followed up only
    afterwards, its first-follow-up deadline — given as a stand-in date on the right side of
    ``day``, so the look-up of the latest follow-up is written (and run) once."""
    latest = (
        select(func.coalesce(FollowUp.next_followup_on, NEVER_DUE))
        .where(FollowUp.lead_id == Lead.id, FollowUp.on <= day)
        .order_by(FollowUp.on.desc(), FollowUp.id.desc())
        .limit(1)
        .correlate(Lead)
        .scalar_subquery()
    )
    followed_ever = exists().where(FollowUp.lead_id == Lead.id).correlate(Lead)
    first_deadline_passed = Lead.created_on < day - timedelta(days=first_followup_days)
    before_any = case(
        (followed_ever, case((first_deadline_passed, literal(LONG_DUE, Date)), else_=literal(NEVER_DUE, Date))),
        else_=Lead.next_followup_on,
    )
    return func.coalesce(latest, before_any)


def counted_at(stmt, at: AsOf, join):
    """``stmt`` over the leads that count at ``at`` — created by then, not merged into another —
    with the stage join of ``state_columns``."""
    stmt = stmt if join is None else stmt.outerjoin(*join)
    return stmt.where(Lead.merged_into_id.is_(None), Lead.created_on <= at.day)


# ------------------------------------------------------------------------------------------
# The leads' parts in a moment's figures


TALLIES, AIMED = 0, 1  # the two kinds of groups a lead's part adds to


@dataclass(frozen=True)
class MomentStates:
    """The parts of the leads counted at a moment (those created by then, merged duplicates
    aside: {lead id: its contributions}) and their sums: ``tallies`` {(stage then, owner id):
    (leads, Σ tax, late, landed in the month, landed in the year)}, ``aimed`` {(building id,
    stage then, number of targets): (leads, Σ tax)}."""

    parts: dict[int, tuple]
    tallies: dict[tuple[str, int], tuple[int, Decimal, int, int, int]]
    aimed: dict[tuple[int, str, int], tuple[int, Decimal]]


def states_at(session, at: AsOf, first_followup_days: int) -> MomentStates:
    """The states at ``at`` under the first-follow-up rule, up to date with every committed
    write and the session's own flushed ones."""
    summed = journal.summed_by_lead(
        session,
        ("pipeline-states", at, first_followup_days),
        lambda lead_ids: _parts(session, at, first_followup_days, lead_ids),
        kinds=2,
    )
    return MomentStates(summed.parts, summed.sums[TALLIES], summed.sums[AIMED])


def _parts(session, at: AsOf, first_followup_days: int, lead_ids) -> dict[int, tuple]:
    """{lead id: its part at ``at``} of the leads ``lead_ids`` (None: every lead) that count
    then: to its (stage, owner) tally, and to each (target building, stage, targets) group."""
    stage, late, join = state_columns(at, first_followup_days, lead_ids)
    stmt = counted_at(
        select(
            Lead.id, stage, Lead.owner_id, func.coalesce(Lead.expected_annual_tax, 0), late, Lead.landed_on
        ).select_from(Lead),
        at,
        join,
    )
    targets = select(lead_target_buildings.c.lead_id, lead_target_buildings.c.building_id)
    if lead_ids is not None:
        stmt = stmt.where(Lead.id.in_(lead_ids))
        targets = targets.where(lead_target_buildings.c.lead_id.in_(lead_ids))
    aimed_at: dict[int, list[int]] = {}
    for lead_id, building_id in session.execute(targets):
        aimed_at.setdefault(lead_id, []).append(building_id)
    parts = {}
    for lead_id, stage_then, owner_id, tax, overdue, landed_on in session.execute(stmt):
        if stage_then == NOT_YET:  # created after the moment
            continue
        tax = Decimal(tax).quantize(CENT)  # SQLite hands decimals over as floats
        settled = stage_then == "settled" and landed_on is not None and landed_on <= at.day
        landed = (int(settled and landed_on >= at.first), int(settled and landed_on >= at.year_start))
        buildings = sorted(aimed_at.get(lead_id, ()))
        parts[lead_id] = (
            (TALLIES, (stage_then, owner_id), (1, tax, int(overdue), *landed)),
            *((AIMED, (building_id, stage_then, len(buildings)), (1, tax)) for building_id in buildings),
        )
    return parts
