"""Pipeline figures (招商进度) for the board, the dashboard and the briefings: the funnel by stage
with expected tax, leads landed this month and year, per-promoter work, and the deadline flags.

One function per figure, each a fixed handful of GROUP BY queries whatever the number of leads,
so the dashboard, the board, the API and the PDF briefing show the same numbers; the dashboard's
summary counts the lead figures of all of them in one pass (tested equal to the separate ones).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from crm.models import FollowUp, Lead, User
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, STAGES
from crm.services.leads import FLAG_LABELS, PipelineRules, flag_conditions, pipeline_rules

ZERO = Decimal("0")
BOARD_STAGES = list(STAGES) + list(OFF_LINE_STAGES)


@dataclass
class StageFigures:
    stage: str
    label: str
    probability: Decimal
    count: int = 0
    expected_tax: Decimal = ZERO  # Σ expected annual tax of the stage's leads

    @property
    def weighted_tax(self) -> Decimal:
        return (self.expected_tax * self.probability).quantize(Decimal("0.01"))


def _labels():
    return {**{s: (label, p) for s, (label, p) in STAGES.items()}, **{s: (label, ZERO) for s, label in OFF_LINE_STAGES.items()}}


def funnel(session, owner_id: int | None = None) -> list[StageFigures]:
    """Count and Σ expected tax per stage (every stage, in order, zeros included)."""
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


@dataclass
class Landed:
    month: int
    year: int


def landed(session, today: date) -> Landed:
    """Leads settled (move-in confirmed) in today's month and in today's year."""
    month_start = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    in_month = case((Lead.landed_on >= month_start, 1), else_=0)
    n_month, n_year = session.execute(
        select(func.coalesce(func.sum(in_month), 0), func.count())
        .where(Lead.stage == "settled", Lead.landed_on >= year_start, Lead.landed_on <= today)
    ).one()
    return Landed(int(n_month), int(n_year))


@dataclass
class PromoterFigures:
    user: User
    active: int = 0
    expected_tax: Decimal = ZERO
    followups_this_month: int = 0
    overdue: int = 0


def promoter_figures(session, today: date, lead_totals: dict[int, tuple[int, Decimal, int]] | None = None) -> list[PromoterFigures]:
    """Per promoter: active leads (and their Σ expected tax), follow-ups written this month,
    active leads whose next follow-up date has passed. ``lead_totals`` (owner id -> those three
    lead figures) when the caller has already counted them."""
    users = list(session.scalars(select(User).where(User.role == "promoter").order_by(User.username)))
    rows = {u.id: PromoterFigures(u) for u in users}
    if lead_totals is None:
        overdue = case((Lead.next_followup_on < today, 1), else_=0)
        lead_totals = {owner_id: (n, Decimal(tax), int(late)) for owner_id, n, tax, late in session.execute(
            select(Lead.owner_id, func.count(), func.coalesce(func.sum(Lead.expected_annual_tax), 0), func.coalesce(func.sum(overdue), 0))
            .where(Lead.stage.in_(ACTIVE_STAGES), Lead.merged_into_id.is_(None))
            .group_by(Lead.owner_id)
        )}
    for owner_id, (n, tax, late) in lead_totals.items():
        if owner_id in rows:
            rows[owner_id].active, rows[owner_id].expected_tax, rows[owner_id].overdue = n, tax, late
    for author_id, n in session.execute(
        select(FollowUp.author_id, func.count())
        .where(FollowUp.on >= today.replace(day=1), FollowUp.on <= today)
        .group_by(FollowUp.author_id)
    ):
        if author_id in rows:
            rows[author_id].followups_this_month = n
    return [rows[u.id] for u in users if u.active or rows[u.id].active]


def deadline_counts(session, today: date, rules: PipelineRules | None = None, owner_id: int | None = None) -> dict[str, int]:
    """How many leads carry each deadline flag (see ``services.leads.lead_flags``) — one query."""
    rules = rules or pipeline_rules(session)
    conditions = flag_conditions(today, rules)
    stmt = select(*[func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(name) for name, cond in conditions.items()]).where(
        Lead.merged_into_id.is_(None)
    )
    if owner_id is not None:
        stmt = stmt.where(Lead.owner_id == owner_id)
    row = session.execute(stmt).one()
    return {name: int(row._mapping[name]) for name in conditions}


@dataclass
class PipelineSummary:
    funnel: list[StageFigures]
    landed: Landed
    promoters: list[PromoterFigures]
    flags: dict[str, int]
    rules: PipelineRules

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
    def flag_items(self) -> list[tuple[str, str, int]]:
        return [(code, FLAG_LABELS[code], n) for code, n in self.flags.items()]


def pipeline_summary(session, today: date) -> PipelineSummary:
    """Everything the dashboard and briefing show about the pipeline, for ``today``: the same
    figures as ``funnel``, ``landed``, ``promoter_figures`` and ``deadline_counts``, with the
    lead figures of all four counted in one pass over the leads (the dashboard is the most
    visited page)."""
    rules = pipeline_rules(session)
    tally = _tally_leads(session, today, rules)
    return PipelineSummary(
        funnel=_stage_rows(tally.by_stage), landed=tally.landed,
        promoters=promoter_figures(session, today, tally.by_owner), flags=tally.flags, rules=rules,
    )


@dataclass
class _LeadTally:
    by_stage: dict[str, tuple[int, Decimal]]
    by_owner: dict[int, tuple[int, Decimal, int]]  # active leads: count, Σ expected tax, overdue
    landed: Landed
    flags: dict[str, int]


def _tally_leads(session, today: date, rules: PipelineRules) -> _LeadTally:
    """One GROUP BY (stage, owner, merged) with a conditional count per figure."""
    def count_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    conditions = flag_conditions(today, rules)
    merged = Lead.merged_into_id.is_not(None)
    landed_to_date = and_(Lead.landed_on <= today, Lead.landed_on >= today.replace(month=1, day=1))
    stmt = select(
        Lead.stage, Lead.owner_id, merged.label("merged"), func.count(),
        func.coalesce(func.sum(Lead.expected_annual_tax), 0), count_where(Lead.next_followup_on < today),
        count_where(and_(landed_to_date, Lead.landed_on >= today.replace(day=1))), count_where(landed_to_date),
        *[count_where(condition) for condition in conditions.values()],
    ).group_by(Lead.stage, Lead.owner_id, merged)
    tally = _LeadTally({}, {}, Landed(0, 0), dict.fromkeys(conditions, 0))
    for stage, owner_id, is_merged, n, tax, late, landed_month, landed_year, *flags in session.execute(stmt):
        if stage == "settled":  # as landed(): merged leads count too
            tally.landed.month += int(landed_month)
            tally.landed.year += int(landed_year)
        if is_merged:
            continue
        count, total = tally.by_stage.get(stage, (0, ZERO))
        tally.by_stage[stage] = (count + n, total + Decimal(tax))
        if stage in ACTIVE_STAGES:
            count, total, overdue = tally.by_owner.get(owner_id, (0, ZERO, 0))
            tally.by_owner[owner_id] = (count + n, total + Decimal(tax), overdue + int(late))
        for name, flagged in zip(conditions, flags):
            tally.flags[name] += int(flagged)
    return tally


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
