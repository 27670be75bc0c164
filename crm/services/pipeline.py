"""Pipeline figures (招商进度) for the board, the dashboard, the API and the briefings.

Month figures follow one as-of rule (DESIGN.md "As of"): for month M they are read at the end of
M — or today, while M runs (``as_of``). A lead counts when it was created by then; its stage is
the one its stage history gives at that moment; landings and follow-ups are those dated within M
(landings of the year from January to M's end); a lead is overdue when the next follow-up date in
force at that moment has passed. ``pipeline_month`` computes all of them from one statement over
the leads, so the dashboard, ``/api/v1/summary`` and the briefing of a month cannot disagree;
``pipeline_potentials`` reads the same lead states for the 亿元楼 candidates.

What has no history is read as it is now: a lead's owner, expected tax and target buildings.
Merged duplicates never count. The board and the deadline flags are today's live work.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import joinedload

from crm.models import FollowUp, Lead, LeadStageChange, User, lead_target_buildings
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, STAGES
from crm.services import periods as P
from crm.services.leads import FLAG_LABELS, PipelineRules, flag_conditions, pipeline_rules

ZERO = Decimal("0")
CENT = Decimal("0.01")
BOARD_STAGES = list(STAGES) + list(OFF_LINE_STAGES)
NOT_YET = ""  # the stage of a lead at a moment before its creation was recorded


@dataclass
class StageFigures:
    stage: str
    label: str
    probability: Decimal
    count: int = 0
    expected_tax: Decimal = ZERO  # Σ expected annual tax of the stage's leads

    @property
    def weighted_tax(self) -> Decimal:
        return (self.expected_tax * self.probability).quantize(CENT)


def _labels():
    return {**{s: (label, p) for s, (label, p) in STAGES.items()}, **{s: (label, ZERO) for s, label in OFF_LINE_STAGES.items()}}


def funnel(session, owner_id: int | None = None) -> list[StageFigures]:
    """Today's count and Σ expected tax per stage (every stage, in order, zeros included): the board."""
    stmt = (
        select(Lead.stage, func.count(), func.coalesce(func.sum(Lead.expected_annual_tax), 0))
        .where(Lead.merged_into_id.is_(None))
        .group_by(Lead.stage)
    )
    if owner_id is not None:
        stmt = stmt.where(Lead.owner_id == owner_id)
    return _stage_rows({stage: (n, Decimal(total)) for stage, n, total in session.execute(stmt)})


def _stage_rows(found: dict[str, tuple[int, Decimal]]) -> list[StageFigures]:
    rows = []
    for stage, (label, probability) in _labels().items():
        n, total = found.get(stage, (0, ZERO))
        rows.append(StageFigures(stage, label, probability, n, total))
    return rows


def deadline_counts(session, today: date, rules: PipelineRules | None = None, owner_id: int | None = None) -> dict[str, int]:
    """How many leads carry each deadline flag today (see ``services.leads.lead_flags``) — one query."""
    rules = rules or pipeline_rules(session)
    conditions = flag_conditions(today, rules)
    stmt = select(*[func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name) for name, cond in conditions.items()]).where(
        Lead.merged_into_id.is_(None)
    )
    if owner_id is not None:
        stmt = stmt.where(Lead.owner_id == owner_id)
    row = session.execute(stmt).one()
    return {name: int(row._mapping[name]) for name in conditions}


def flag_items(flags: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(code, FLAG_LABELS[code], n) for code, n in flags.items()]


# ------------------------------------------------------------------------------------------
# The state of every lead at the end of a month


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


def _stage_at(at: AsOf):
    """SQL: the lead's stage at ``at`` — the stage its first change after that moment left, else
    its stage now; NOT_YET when even its creation came later."""
    if at.live:
        return Lead.stage
    first_change_after = (
        select(func.coalesce(LeadStageChange.from_stage, literal(NOT_YET)))
        .where(LeadStageChange.lead_id == Lead.id, LeadStageChange.changed_at >= _after(at.day))
        .order_by(LeadStageChange.changed_at, LeadStageChange.id)
        .limit(1)
        .correlate(Lead)
        .scalar_subquery()
    )
    return func.coalesce(first_change_after, Lead.stage)


def _overdue_at(at: AsOf, rules: PipelineRules):
    """SQL: whether the next follow-up date in force at ``at`` had passed. Each follow-up sets the
    next date, so it is that of the latest follow-up dated by then; before any follow-up, the
    date the lead was created with — which later follow-ups overwrote, so for a lead followed up
    only afterwards it is the default first-follow-up deadline."""
    day = at.day
    if at.live:
        return Lead.next_followup_on < day
    by_then = and_(FollowUp.lead_id == Lead.id, FollowUp.on <= day)
    latest_next = (
        select(FollowUp.next_followup_on).where(by_then)
        .order_by(FollowUp.on.desc(), FollowUp.id.desc()).limit(1)
        .correlate(Lead).scalar_subquery()
    )
    followed_by_then = exists().where(by_then).correlate(Lead)
    followed_ever = exists().where(FollowUp.lead_id == Lead.id).correlate(Lead)
    return or_(
        and_(followed_by_then, latest_next < day),
        and_(~followed_ever, Lead.next_followup_on < day),
        and_(~followed_by_then, followed_ever, Lead.created_on < day - timedelta(days=rules.first_followup_days)),
    )


@dataclass(frozen=True)
class LeadState:
    """One lead as it stood at the as-of moment."""

    id: int
    owner_id: int
    stage: str
    expected_tax: Decimal
    overdue: bool
    signed_on: date | None
    landed_on: date | None
    created_on: date

    @property
    def active(self) -> bool:
        return self.stage in ACTIVE_STAGES


def lead_states(session, at: AsOf, rules: PipelineRules | None = None) -> list[LeadState]:
    """Every lead (merged duplicates aside) created by the as-of moment, with its state then."""
    rules = rules or pipeline_rules(session)
    stage = _stage_at(at).label("stage_at")
    stmt = (
        select(Lead.id, Lead.owner_id, stage, func.coalesce(Lead.expected_annual_tax, 0),
               case((_overdue_at(at, rules), 1), else_=0), Lead.signed_on, Lead.landed_on, Lead.created_on)
        .where(Lead.merged_into_id.is_(None), Lead.created_on <= at.day)
        .order_by(Lead.id)
    )
    return [
        LeadState(lead_id, owner_id, stage_then, Decimal(tax), bool(late) and stage_then in ACTIVE_STAGES,
                  signed_on, landed_on, created_on)
        for lead_id, owner_id, stage_then, tax, late, signed_on, landed_on, created_on in session.execute(stmt)
        if stage_then != NOT_YET
    ]


# ------------------------------------------------------------------------------------------
# The month's figures


@dataclass
class Landed:
    month: int
    year: int


@dataclass
class PromoterFigures:
    user: User
    active: int = 0
    expected_tax: Decimal = ZERO
    followups_this_month: int = 0
    overdue: int = 0


@dataclass
class PipelineSummary:
    """The pipeline of one month, as of its end (see the module docstring)."""

    at: AsOf
    funnel: list[StageFigures]
    landed: Landed
    promoters: list[PromoterFigures]
    states: list[LeadState] = field(default_factory=list, repr=False)

    @property
    def active_count(self) -> int:
        return sum(s.count for s in self.funnel if s.stage in ACTIVE_STAGES)

    @property
    def active_expected_tax(self) -> Decimal:
        return sum((s.expected_tax for s in self.funnel if s.stage in ACTIVE_STAGES), ZERO)

    @property
    def active_weighted_tax(self) -> Decimal:
        return sum((s.weighted_tax for s in self.funnel if s.stage in ACTIVE_STAGES), ZERO)

    @property
    def overdue(self) -> int:
        return sum(p.overdue for p in self.promoters)

    @property
    def followups(self) -> int:
        return sum(p.followups_this_month for p in self.promoters)


def funnel_of(states: list[LeadState]) -> list[StageFigures]:
    found: dict[str, tuple[int, Decimal]] = {}
    for state in states:
        n, total = found.get(state.stage, (0, ZERO))
        found[state.stage] = (n + 1, total + state.expected_tax)
    return _stage_rows(found)


def landed_of(states: list[LeadState], at: AsOf) -> Landed:
    """Leads settled (move-in confirmed) within the month and from January to the as-of day."""
    days = [s.landed_on for s in states if s.stage == "settled" and s.landed_on is not None and s.landed_on <= at.day]
    return Landed(month=sum(1 for d in days if d >= at.first), year=sum(1 for d in days if d >= at.year_start))


def followups_by_author(session, at: AsOf) -> dict[int, int]:
    """Follow-ups dated within the month (to the as-of day), per author."""
    return dict(session.execute(
        select(FollowUp.author_id, func.count())
        .where(FollowUp.on >= at.first, FollowUp.on <= at.day)
        .group_by(FollowUp.author_id)
    ).all())


def promoters_of(session, states: list[LeadState], at: AsOf) -> list[PromoterFigures]:
    """Per promoter: active leads (and their Σ expected tax) and the overdue among them at the
    as-of moment, and follow-ups written within the month. Former promoters show while they
    still hold active leads."""
    users = list(session.scalars(select(User).where(User.role == "promoter").order_by(User.username)))
    rows = {u.id: PromoterFigures(u) for u in users}
    for state in states:
        row = rows.get(state.owner_id)
        if row is not None and state.active:
            row.active += 1
            row.expected_tax += state.expected_tax
            row.overdue += int(state.overdue)
    for author_id, n in followups_by_author(session, at).items():
        if author_id in rows:
            rows[author_id].followups_this_month = n
    return [rows[u.id] for u in users if u.active or rows[u.id].active]


def pipeline_month(session, month: str, today: date | None) -> PipelineSummary:
    """The pipeline figures of ``month`` as of its end (or today while it runs): the funnel by
    stage, landings of the month and of the year to date, and each promoter's work."""
    at = as_of(month, today)
    states = lead_states(session, at)
    return PipelineSummary(at, funnel_of(states), landed_of(states, at), promoters_of(session, states, at), states)


def summary_json(summary: PipelineSummary) -> dict:
    """The month's pipeline figures as JSON (yuan and probabilities as numbers): what
    ``/api/v1/summary`` returns and the briefing's pipeline section starts from."""
    def number(value: Decimal) -> float:
        return float(value)

    return {
        "state_as_of": summary.at.day.isoformat(),
        "funnel": [
            {"stage": s.stage, "label": s.label, "probability": float(s.probability), "count": s.count,
             "expected_tax": number(s.expected_tax), "weighted_tax": number(s.weighted_tax)}
            for s in summary.funnel
        ],
        "active_count": summary.active_count,
        "active_expected_tax": number(summary.active_expected_tax),
        "active_weighted_tax": number(summary.active_weighted_tax),
        "landed_month": summary.landed.month,
        "landed_year": summary.landed.year,
        "promoters": [
            {"username": p.user.username, "name": p.user.display_name, "active": p.active,
             "expected_tax": number(p.expected_tax), "followups_month": p.followups_this_month, "overdue": p.overdue}
            for p in summary.promoters
        ],
        "followups_total": summary.followups,
        "overdue_total": summary.overdue,
    }


def pipeline_potentials(session, at: AsOf, building_ids=None) -> dict[int, Decimal]:
    """{building_id: Σ expected annual tax × stage probability ÷ number of target buildings} of
    the leads active at the as-of moment: a lead aimed at several buildings is shared among
    them, so the potentials of the district add up to its weighted pipeline once."""
    active = {s.id: s for s in lead_states(session, at) if s.active}
    targets: dict[int, list[int]] = defaultdict(list)
    for lead_id, building_id in session.execute(
        select(lead_target_buildings.c.lead_id, lead_target_buildings.c.building_id)
    ):
        if lead_id in active:
            targets[lead_id].append(building_id)
    wanted = None if building_ids is None else set(building_ids)
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for lead_id, buildings in targets.items():
        state = active[lead_id]
        share = state.expected_tax * STAGES[state.stage][1] / len(buildings)
        for building_id in buildings:
            if wanted is None or building_id in wanted:
                totals[building_id] += share
    return {bid: total.quantize(CENT, ROUND_HALF_UP) for bid, total in totals.items()}


# ------------------------------------------------------------------------------------------
# The board

CARDS_PER_COLUMN = 20  # a column shows its most urgent cards; a laptop screen holds about eight


@dataclass
class BoardColumn:
    figures: StageFigures
    cards: list[Lead] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.figures.count - len(self.cards)


def board(session, owner_id: int | None = None, per_column: int = CARDS_PER_COLUMN) -> list[BoardColumn]:
    """One column per stage with its count and Σ expected tax, and its most urgent cards (next
    follow-up date first; the rest are one click away in the list) — two queries in all."""
    figures = funnel(session, owner_id)
    urgency = func.row_number().over(
        partition_by=Lead.stage,
        order_by=(Lead.next_followup_on.is_(None), Lead.next_followup_on, Lead.id.desc()),
    ).label("rank")
    ranked = select(Lead.id.label("id"), urgency).where(Lead.merged_into_id.is_(None))
    if owner_id is not None:
        ranked = ranked.where(Lead.owner_id == owner_id)
    ranked = ranked.subquery()
    cards = session.scalars(
        select(Lead).join(ranked, ranked.c.id == Lead.id).where(ranked.c.rank <= per_column)
        .options(joinedload(Lead.owner)).order_by(ranked.c.rank)
    )
    columns = {f.stage: BoardColumn(f) for f in figures}
    for lead in cards:
        columns[lead.stage].cards.append(lead)
    return [columns[stage] for stage in BOARD_STAGES]
