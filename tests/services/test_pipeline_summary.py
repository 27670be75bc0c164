"""The month's pipeline read from the history must be the leads' own state when nothing happened
since: for any leads whose stage changes and follow-ups were recorded as the services record
them, the figures rewound to today equal today's live figures — funnel, landings, promoters,
overdue — merged duplicates and promoters without leads included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from crm.models import FollowUp, LeadStageChange
from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, STAGES
from crm.services.leads import pipeline_rules
from crm.services.pipeline import (
    AsOf,
    deadline_counts,
    funnel,
    funnel_of,
    landed_of,
    lead_states,
    pipeline_month,
    promoters_of,
    _promoter_rows,
    _tallies,
)
from tests import factories as f

TODAY = date(2026, 11, 15)
MONTH = "2026-11"
LINE = list(STAGES)
ALL_STAGES = [*STAGES, *OFF_LINE_STAGES]


def stamp(day: date) -> datetime:
    return datetime.combine(day, time(3, 0), tzinfo=timezone.utc)  # 11:00 in Dalian


LEAD = st.tuples(
    st.integers(0, 2),  # owner
    st.integers(1, 300),  # created, days before today
    st.lists(st.sampled_from(ALL_STAGES), max_size=4),  # later stages, in order
    st.lists(st.tuples(st.integers(0, 300), st.integers(-20, 30)), max_size=4),  # follow-ups: days ago, next in days
    st.booleans(),  # merged into the first lead
    st.one_of(st.none(), st.integers(0, 5_000_000)),
)


def make(session, leads):
    owners = [f.user(session, f"zs{n}", "promoter") for n in range(3)]
    f.user(session, "zs_idle", "promoter")  # no leads at all
    kept = []
    for owner, age, stages, followups, merge, tax in leads:
        created = TODAY - timedelta(days=age)
        path = ["lead"] + [s for s in stages if s != "settled"]
        lead = f.lead(
            session,
            owners[owner],
            stage=path[-1],
            created_on=created,
            expected_annual_tax=None if tax is None else Decimal(tax),
            next_followup_on=created + timedelta(days=3),
        )
        session.flush()
        step = max(age // len(path), 1)
        for k, (before, after) in enumerate(zip([None, *path], path)):
            session.add(
                LeadStageChange(
                    lead_id=lead.id,
                    from_stage=before,
                    to_stage=after,
                    changed_at=stamp(min(created + timedelta(days=k * step), TODAY)),
                )
            )
        for days_ago, next_in in sorted(followups, reverse=True):
            on = max(TODAY - timedelta(days=days_ago), created)
            session.add(
                FollowUp(
                    lead_id=lead.id,
                    author=owners[owner],
                    on=on,
                    method="电话",
                    notes="x",
                    next_followup_on=on + timedelta(days=next_in),
                )
            )
            lead.next_followup_on = on + timedelta(days=next_in)  # as add_followup sets it
            lead.last_followup_on = max(lead.last_followup_on or on, on)
        if merge and kept:
            lead.merged_into_id = kept[0].id
        kept.append(lead)
    session.flush()
    return kept


def figures(session, at: AsOf):
    states = lead_states(session, at)
    promoters = [
        (p.user.username, p.active, p.expected_tax, p.followups_this_month, p.overdue)
        for p in promoters_of(session, states, at)
    ]
    return funnel_of(states), landed_of(states, at), promoters


def counted(session, at: AsOf):
    """The same figures as the database counts them for the dashboard (``pipeline_month``)."""
    funnel_rows, landed, owners = _tallies(session, at, pipeline_rules(session))
    promoters = [
        (p.user.username, p.active, p.expected_tax, p.followups_this_month, p.overdue)
        for p in _promoter_rows(session, owners, at)
    ]
    return funnel_rows, landed, promoters


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(LEAD, min_size=1, max_size=15))
def test_the_history_rewound_to_today_is_todays_state(session, leads):
    kept = make(session, leads)
    try:
        live = pipeline_month(session, MONTH, TODAY)
        assert live.at == AsOf(MONTH, TODAY, True)
        assert figures(session, live.at) == figures(session, AsOf(MONTH, TODAY, False))
        # Counted by the database, live, rewound to today and at a past month's end: the same.
        for at in (live.at, AsOf(MONTH, TODAY, False), AsOf("2026-10", date(2026, 10, 31), False)):
            assert counted(session, at) == figures(session, at), at
        # The running month's funnel is the board's, its overdue the live flag's.
        assert [(s.stage, s.count, s.expected_tax) for s in live.funnel] == [
            (s.stage, s.count, s.expected_tax) for s in funnel(session)
        ]
        assert live.overdue == deadline_counts(session, TODAY, pipeline_rules(session))["followup_overdue"]
        assert live.active_count == sum(
            1 for lead in kept if lead.stage in ACTIVE_STAGES and lead.merged_into_id is None
        )
    finally:
        session.rollback()
