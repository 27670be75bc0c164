"""The dashboard's pipeline summary counts the leads in one pass; it must give exactly what the
separate figures (used by the board, the API and the briefing) give, merged and landed leads,
every deadline flag and promoters without leads included."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from crm.models.lead import ACTIVE_STAGES, OFF_LINE_STAGES, STAGES
from crm.services.leads import pipeline_rules
from crm.services.pipeline import deadline_counts, funnel, landed, pipeline_summary, promoter_figures
from tests import factories as f

TODAY = date(2026, 11, 15)
ALL_STAGES = [*STAGES, *OFF_LINE_STAGES]
DAYS = st.one_of(st.none(), st.integers(-400, 30).map(lambda d: TODAY + timedelta(days=d)))


def separately(session):
    return (funnel(session), landed(session, TODAY), promoter_figures(session, TODAY),
            deadline_counts(session, TODAY, pipeline_rules(session)))


def together(session):
    summary = pipeline_summary(session, TODAY)
    return summary.funnel, summary.landed, summary.promoters, summary.flags


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(ALL_STAGES), st.integers(0, 2), st.booleans(), DAYS, DAYS, DAYS, DAYS,
                          st.one_of(st.none(), st.integers(0, 5_000_000))), min_size=1, max_size=25))
def test_the_one_pass_summary_equals_the_separate_figures(session, leads):
    owners = [f.user(session, f"zs{n}", "promoter") for n in range(3)]
    f.user(session, "zs_idle", "promoter")  # no leads at all
    kept = []
    for stage, owner, merge, last, nxt, signed, landed_on, tax in leads:
        lead = f.lead(session, owners[owner], stage=stage, created_on=TODAY - timedelta(days=random.Random(owner).randint(0, 30)),
                      last_followup_on=last, next_followup_on=nxt, signed_on=signed, landed_on=landed_on,
                      expected_annual_tax=None if tax is None else Decimal(tax))
        if merge and kept:
            lead.merged_into_id = kept[0].id
        kept.append(lead)
    session.flush()
    try:
        assert together(session) == separately(session)
        assert sum(s.count for s in together(session)[0] if s.stage in ACTIVE_STAGES) == sum(
            1 for (stage, *_), lead in zip(leads, kept) if stage in ACTIVE_STAGES and lead.merged_into_id is None)
    finally:
        session.rollback()
