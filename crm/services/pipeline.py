"""Pipeline figures (招商进度) for the board, the dashboard, the API and the briefings.

Month figures follow one as-of rule (DESIGN.md "As of"): for month M they are read at the end of
M — or today, while M runs (``as_of``). A lead counts when it was created by then; its stage is
the one its stage history gives at that moment; landings and follow-ups are those dated within M
(landings of the year from January to M's end); a lead is overdue when the next follow-up date in
force at that moment has passed. These rules are written once, as SQL over the leads
(``crm.services.pipeline_states``): ``pipeline_month`` counts by them, so the dashboard,
``/api/v1/summary`` and the briefing of a month cannot disagree; ``lead_states`` lists the leads
by them (the briefing's new, signed and landed leads); ``pipeline_potentials`` sums the 亿元楼
candidates' potentials by them. A past moment's figures and the potentials are read from the
leads' parts kept there, which a write brings up to date lead by lead.

What has no history is read as it is now: a lead's owner, expected tax and target buildings.
Merged duplicates never count. The board and the deadline flags are today's live work.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import joinedload, load_only

from crm.models import FollowUp, Lead, User
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, STAGES
from crm.cache.versions import PIPELINE
from crm.cache import derived, journal
from crm.services.leads import FLAG_LABELS, PipelineRules, flag_rules, pipeline_rules
from crm.services.pipeline_states import NOT_YET, AsOf, as_of, counted_at, one_when, state_columns, states_at

ZERO = Decimal("0")
CENT = Decimal("0.01")
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
        return (self.expected_tax * self.probability).quantize(CENT)


def _labels():
    return {
        **{s: (label, p) for s, (label, p) in STAGES.items()},
        **{s: (label, ZERO) for s, label in OFF_LINE_STAGES.items()},
    }


@derived(PIPELINE)
def funnel(session, owner_id: int | None = None) -> list[StageFigures]:
    """Today's count and Σ expected tax per stage (every stage, in order, zeros included): the board.

    Counted per (owner, stage), the order of the index that holds both columns and the tax
    (``ix_leads_owner_tally``): the database reads that index alone, where a count per stage
    read every lead's row."""
    stmt = (
        select(Lead.stage, func.count(), func.coalesce(func.sum(Lead.expected_annual_tax), 0))
        .where(Lead.merged_into_id.is_(None))
        .group_by(Lead.owner_id, Lead.stage)
    )
    if owner_id is not None:
        stmt = stmt.where(Lead.owner_id == owner_id)
    found: dict[str, tuple[int, Decimal]] = {}
    for stage, n, total in session.execute(stmt):
        count, sum_so_far = found.get(stage, (0, ZERO))
        found[stage] = (count + n, sum_so_far + Decimal(total).quantize(CENT))  # SQLite sums decimals as floats
    return _stage_rows(found)


def _stage_rows(found: dict[str, tuple[int, Decimal]]) -> list[StageFigures]:
    rows = []
    for stage, (label, probability) in _labels().items():
        n, total = found.get(stage, (0, ZERO))
        rows.append(StageFigures(stage, label, probability, n, total))
    return rows


def deadline_counts(
    session, today: date, rules: PipelineRules | None = None, owner_id: int | None = None
) -> dict[str, int]:
    """How many leads carry each deadline flag today (see ``services.leads.lead_flags``), from
    today's counts per owner and stage (``_live_groups``)."""
    counts = dict.fromkeys(FLAG_LABELS, 0)
    for group in _live_groups(session, today, rules or pipeline_rules(session)):
        if owner_id is None or group.owner_id == owner_id:
            for name, n in group.flags.items():
                counts[name] += n
    return counts


@dataclass(frozen=True)
class LiveGroup:
    """Today's leads of one owner in one stage, merged duplicates aside, as the database counted
    them: every one of them with the deadline flags that apply to the stage, and those created by
    today (a replayed day leaves later ones out) with their Σ expected tax, the overdue among
    them and their landings within today's month and year."""

    owner_id: int
    stage: str
    flags: dict[str, int]
    count: int
    expected_tax: Decimal
    overdue: int
    landed_month: int
    landed_year: int


def _live_groups(session, today: date, rules: PipelineRules) -> tuple[LiveGroup, ...]:
    """Today's leads per (owner, stage), from each lead's part kept and brought up to date lead
    by lead after a write (``crm.cache.journal.summed_by_lead``): asked by every dashboard, and
    again after each follow-up or stage move, where a count over every lead grew with them. The
    stages a flag applies to are applied here, to the groups."""
    flags = flag_rules(today, rules)
    summed = journal.summed_by_lead(
        session, ("live-groups", today, rules), lambda lead_ids: _live_parts(session, today, flags, lead_ids), kinds=1
    )
    groups = []
    for (owner_id, stage), (_, n, total, overdue, landed_month, landed_year, *flagged) in sorted(
        summed.sums[0].items()
    ):
        applying = {name: (k if stage in stages else 0) for (name, (stages, _)), k in zip(flags.items(), flagged)}
        groups.append(LiveGroup(owner_id, stage, applying, n, total, overdue, landed_month, landed_year))
    return tuple(groups)


def _live_parts(session, today: date, flags: dict, lead_ids) -> dict[int, tuple]:
    """{lead id: its part in today's (owner, stage) group} of ``lead_ids`` (None: every lead),
    merged duplicates aside: (1, created by today, its expected tax then, overdue then, landed
    this month, landed this year, each flag's dates met), read from the index that holds every
    column read here (``ix_leads_owner_tally``)."""
    created = Lead.created_on <= today
    landed = and_(created, Lead.landed_on <= today)
    stmt = select(
        Lead.id,
        Lead.owner_id,
        Lead.stage,
        one_when(created),
        case((created, func.coalesce(Lead.expected_annual_tax, 0)), else_=0),
        one_when(and_(created, Lead.next_followup_on < today)),
        one_when(and_(landed, Lead.landed_on >= today.replace(day=1))),
        one_when(and_(landed, Lead.landed_on >= today.replace(month=1, day=1))),
        *[one_when(dates) for _, dates in flags.values()],
    ).where(Lead.merged_into_id.is_(None))
    if lead_ids is not None:
        stmt = stmt.where(Lead.id.in_(lead_ids))
    return {
        lead_id: ((0, (owner_id, stage), (1, n, Decimal(tax).quantize(CENT), *counts)),)
        for lead_id, owner_id, stage, n, tax, *counts in session.execute(stmt)
    }


def flag_items(flags: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(code, FLAG_LABELS[code], n) for code, n in flags.items()]


# ------------------------------------------------------------------------------------------
# The state of every lead at the end of a month


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


def lead_states(session, at: AsOf, rules: PipelineRules | None = None) -> tuple[LeadState, ...]:
    """Every lead (merged duplicates aside) created by the as-of moment, with its state then
    (kept in the figure cache under the pipeline's data version: see ``_lead_states``)."""
    rules = rules or pipeline_rules(session)
    return _lead_states(session, at, rules.first_followup_days)


@derived(PIPELINE)
def _lead_states(session, at: AsOf, first_followup_days: int) -> tuple[LeadState, ...]:
    """The states of ``lead_states``, by the rules the month's figures are counted with
    (``pipeline_states.state_columns``): live (the as-of day is today), a lead's own columns are its state.
    Otherwise its stage is the one its first stage change after that moment left (else its stage
    now), and it is overdue when the next follow-up date in force then had passed: the one its
    latest follow-up by then set; before any follow-up, the date it was created with — which later
    follow-ups overwrote, so for a lead followed up only afterwards, the default first-follow-up
    deadline.
    """
    stage, overdue, join = state_columns(at, first_followup_days)
    columns = (Lead.id, Lead.owner_id, stage, func.coalesce(Lead.expected_annual_tax, 0), overdue)
    rows = session.execute(
        counted_at(
            select(*columns, Lead.signed_on, Lead.landed_on, Lead.created_on).select_from(Lead), at, join
        ).order_by(Lead.id)
    )
    return tuple(
        LeadState(lead_id, owner_id, stage_then, Decimal(tax), bool(overdue), signed_on, landed_on, created_on)
        for lead_id, owner_id, stage_then, tax, overdue, signed_on, landed_on, created_on in rows
        if stage_then != NOT_YET  # created after the moment
    )


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


def funnel_of(states: Iterable[LeadState]) -> list[StageFigures]:
    found: dict[str, tuple[int, Decimal]] = {}
    for state in states:
        n, total = found.get(state.stage, (0, ZERO))
        found[state.stage] = (n + 1, total + state.expected_tax)
    return _stage_rows(found)


def landed_of(states: Iterable[LeadState], at: AsOf) -> Landed:
    """Leads settled (move-in confirmed) within the month and from January to the as-of day."""
    days = [s.landed_on for s in states if s.stage == "settled" and s.landed_on is not None and s.landed_on <= at.day]
    return Landed(month=sum(1 for d in days if d >= at.first), year=sum(1 for d in days if d >= at.year_start))


@derived(PIPELINE)
def followups_by_author(session, at: AsOf) -> dict[int, int]:
    """Follow-ups dated within the month (to the as-of day), per author."""
    return dict(
        session.execute(
            select(FollowUp.author_id, func.count())
            .where(FollowUp.on >= at.first, FollowUp.on <= at.day)
            .group_by(FollowUp.author_id)
        ).all()
    )


def promoters_of(session, states: Iterable[LeadState], at: AsOf) -> list[PromoterFigures]:
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
    funnel, landed, owners = _tallies(session, at, pipeline_rules(session))
    promoters = _promoter_rows(session, owners, at)
    return PipelineSummary(at, [replace(f) for f in funnel], landed, promoters)


def _tallies(session, at: AsOf, rules: PipelineRules):
    """(funnel, landings, {owner id: (active, Σ expected tax, overdue)}) of the lead states at
    ``at`` (those of ``_lead_states``, merged duplicates and leads not yet created left out):
    today's from the counts per owner and stage, a past moment's counted with the history."""
    if not at.live:
        return _past_tallies(session, at, rules.first_followup_days)
    found: dict[str, tuple[int, Decimal]] = {}
    owners: dict[int, tuple[int, Decimal, int]] = {}
    landed = Landed(month=0, year=0)
    for group in _live_groups(session, at.day, rules):
        _add_group(found, owners, group.stage, group.owner_id, group.count, group.expected_tax, group.overdue)
        if group.stage == "settled":
            landed.month += group.landed_month
            landed.year += group.landed_year
    return _stage_rows(found), landed, owners


def _add_group(found: dict, owners: dict, stage: str, owner_id: int, n: int, total: Decimal, overdue: int) -> None:
    """Add a counted group of leads to the funnel (``found``) and, when active, to its owner's tallies."""
    count, sum_so_far = found.get(stage, (0, ZERO))
    found[stage] = (count + n, sum_so_far + total)
    if stage in ACTIVE_STAGES:
        active_n, active_tax, late_n = owners.get(owner_id, (0, ZERO, 0))
        owners[owner_id] = (active_n + n, active_tax + total, late_n + int(overdue))


def _past_tallies(session, at: AsOf, first_followup_days: int):
    """The tallies of ``_tallies`` at a past moment, from the sums of the leads' parts then
    (``pipeline_states``): a few hundred (stage, owner) groups."""
    found: dict[str, tuple[int, Decimal]] = {}
    owners: dict[int, tuple[int, Decimal, int]] = {}
    landed = Landed(month=0, year=0)
    for (stage_then, owner_id), (n, total, overdue, landed_month, landed_year) in sorted(
        states_at(session, at, first_followup_days).tallies.items()
    ):
        _add_group(found, owners, stage_then, owner_id, n, total, overdue)
        landed.month += landed_month
        landed.year += landed_year
    return _stage_rows(found), landed, owners


def _promoter_rows(session, owners: dict[int, tuple], at: AsOf) -> list[PromoterFigures]:
    """``promoters_of`` from the owners' tallies."""
    users = list(session.scalars(select(User).where(User.role == "promoter").order_by(User.username)))
    rows = {u.id: PromoterFigures(u) for u in users}
    for owner_id, (active, expected_tax, overdue) in owners.items():
        if owner_id in rows:
            rows[owner_id].active, rows[owner_id].expected_tax, rows[owner_id].overdue = active, expected_tax, overdue
    for author_id, n in followups_by_author(session, at).items():
        if author_id in rows:
            rows[author_id].followups_this_month = n
    return [rows[u.id] for u in users if u.active or rows[u.id].active]


def summary_json(summary: PipelineSummary) -> dict:
    """The month's pipeline figures as JSON (yuan and probabilities as numbers): what
    ``/api/v1/summary`` returns and the briefing's pipeline section starts from."""

    def number(value: Decimal) -> float:
        return float(value)

    return {
        "state_as_of": summary.at.day.isoformat(),
        "funnel": [
            {
                "stage": s.stage,
                "label": s.label,
                "probability": float(s.probability),
                "count": s.count,
                "expected_tax": number(s.expected_tax),
                "weighted_tax": number(s.weighted_tax),
            }
            for s in summary.funnel
        ],
        "active_count": summary.active_count,
        "active_expected_tax": number(summary.active_expected_tax),
        "active_weighted_tax": number(summary.active_weighted_tax),
        "landed_month": summary.landed.month,
        "landed_year": summary.landed.year,
        "promoters": [
            {
                "username": p.user.username,
                "name": p.user.display_name,
                "active": p.active,
                "expected_tax": number(p.expected_tax),
                "followups_month": p.followups_this_month,
                "overdue": p.overdue,
            }
            for p in summary.promoters
        ],
        "followups_total": summary.followups,
        "overdue_total": summary.overdue,
    }


def pipeline_potentials(session, at: AsOf, building_ids=None) -> dict[int, Decimal]:
    """{building_id: Σ expected annual tax × stage probability ÷ number of target buildings} of
    the leads active at the as-of moment: a lead aimed at several buildings is shared among
    them, so the potentials of the district add up to its weighted pipeline once.

    Read from the sums per (building, stage then, number of targets) kept with the leads' parts
    (``pipeline_states``): the shares of a group are its sum × probability ÷ targets, exactly as
    lead by lead."""
    wanted = None if building_ids is None else set(building_ids)
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    states = states_at(session, at, pipeline_rules(session).first_followup_days)
    for (building_id, stage_then, shared_by), (_, total) in sorted(states.aimed.items()):
        if stage_then in ACTIVE_STAGES and (wanted is None or building_id in wanted):
            totals[building_id] += total * STAGES[stage_then][1] / shared_by
    return {bid: total.quantize(CENT, ROUND_HALF_UP) for bid, total in totals.items()}


# ------------------------------------------------------------------------------------------
# The board

# What a card shows and its deadline flags and edit right read, and nothing else: loading the
# whole row of 180 leads was half a board's time. Anything else a card asks for raises.
CARD_LOADING = (
    load_only(
        Lead.company_name,
        Lead.industry_group,
        Lead.expected_annual_tax,
        Lead.owner_id,
        Lead.priority,
        Lead.stage,
        Lead.next_followup_on,
        Lead.last_followup_on,
        Lead.signed_on,
        Lead.created_on,
        Lead.version,
        raiseload=True,
    ),
    joinedload(Lead.owner).load_only(User.display_name, raiseload=True),
)
CARDS_PER_COLUMN = 20  # a column shows its most urgent cards; a laptop screen holds about eight


@dataclass
class BoardColumn:
    figures: StageFigures
    cards: list[Lead] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.figures.count - len(self.cards)


def board(
    session, owner_id: int | None = None, per_column: int = CARDS_PER_COLUMN, stages=BOARD_STAGES
) -> list[BoardColumn]:
    """One column per stage (of ``stages``, in board order) with its count and Σ expected tax,
    and its most urgent cards (next follow-up date first; the rest are one click away in the
    list) — three queries at most.

    The cards are the first entries of an index per column, so a board of 20,000 leads reads no
    more of them than one of 2,000."""
    wanted = [stage for stage in BOARD_STAGES if stage in stages]
    figures = funnel(session, owner_id)
    shown = _board_ids(session, owner_id, per_column)
    cards = (
        session.scalars(select(Lead).where(Lead.id.in_(shown), Lead.stage.in_(wanted)).options(*CARD_LOADING))
        if shown
        else []
    )
    columns = {f.stage: BoardColumn(f) for f in figures if f.stage in wanted}
    for lead in sorted(cards, key=lambda card: _urgency(card.next_followup_on, card.id)):
        columns[lead.stage].cards.append(lead)
    return [columns[stage] for stage in wanted]


@derived(PIPELINE)
def _board_ids(session, owner_id: int | None, per_column: int) -> tuple[int, ...]:
    """The ids of each column's ``per_column`` most urgent leads: those with a next follow-up
    date, earliest first, then those without, newest first — each the first entries of an index
    (``ix_leads_stage_due``, ``ix_leads_owner_tally``) rather than a sort of the stage's leads."""
    params = {"per_column": per_column} if owner_id is None else {"per_column": per_column, "owner_id": owner_id}
    rows = session.execute(_column_heads(owner_id is not None), params)
    # A stage gave up to twice its cards, dated and undated: its first ``per_column`` by urgency.
    shown: dict[str, list] = defaultdict(list)
    for lead_id, stage, due in rows:
        shown[stage].append(_urgency(due, lead_id))
    return tuple(-key[2] for keys in shown.values() for key in sorted(keys)[:per_column])


@functools.cache  # built once: constructing forty sub-queries cost ten times running them
def _column_heads(by_owner: bool):
    """(id, stage, next follow-up) of the first ``:per_column`` dated and undated leads of each
    stage (of ``:owner_id``'s leads when ``by_owner``), as one UNION ALL."""
    firsts = []
    for stage in BOARD_STAGES:
        of_stage = select(Lead.id, literal(stage).label("stage"), Lead.next_followup_on.label("due")).where(
            Lead.stage == stage, Lead.merged_into_id.is_(None)
        )
        if by_owner:
            of_stage = of_stage.where(Lead.owner_id == bindparam("owner_id"))
        dated = of_stage.where(Lead.next_followup_on.is_not(None)).order_by(Lead.next_followup_on, Lead.id.desc())
        undated = of_stage.where(Lead.next_followup_on.is_(None)).order_by(Lead.id.desc())
        firsts += [q.limit(bindparam("per_column")).subquery() for q in (dated, undated)]
    return union_all(*[select(first.c.id, first.c.stage, first.c.due) for first in firsts])


def _urgency(due: date | None, lead_id: int) -> tuple:
    """A card's place in its column: the earliest next follow-up first, leads without one last,
    newer before older."""
    return (due is None, due or date.min, -lead_id)
