"""The leads' parts at a moment (and today's groups), kept and brought up to date lead by lead
from the journal, must be at every step what a count of every lead gives: after follow-ups, stage moves, new owners,
new expected tax, new targets, new leads, merges (a bulk statement), rolled-back writes and
writes that bypass the journal."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from crm.services.errors import DomainError
from crm.models import FollowUp, LeadChange, LeadStageChange
from crm.models.lead import STAGES
from crm.cache import journal
from crm.services.duplicates import merge_leads
from crm.services.followups import add_followup
from crm.services.leads import PipelineRules, move_stage, reassign_owner
from crm.services.pipeline import _live_groups, pipeline_potentials
from crm.services.pipeline_states import AsOf, states_at
from tests import factories as f

TODAY = date(2026, 11, 15)
MOMENTS = (
    AsOf("2026-10", date(2026, 10, 31), False),
    AsOf("2026-08", date(2026, 8, 31), False),
    AsOf("2026-11", TODAY, True),
)
FIRST_FOLLOWUP_DAYS = 7
RULES = PipelineRules(first_followup_days=FIRST_FOLLOWUP_DAYS)


def counted_afresh(session, at: AsOf):
    """The states counted over every lead, as a process that kept nothing counts them (and then
    keeps them: the next write is brought in lead by lead from there)."""
    journal.forget_all()
    return states_at(session, at, FIRST_FOLLOWUP_DAYS)


def everything_kept(session):
    """The states at each moment and today's groups (the deadline flags, the running month)."""
    return [states_at(session, at, FIRST_FOLLOWUP_DAYS) for at in MOMENTS], _live_groups(session, TODAY, RULES)


def assert_up_to_date(session, step: str) -> None:
    kept_states, kept_live = everything_kept(session)
    journal.forget_all()
    afresh_states, afresh_live = everything_kept(session)
    for at, kept, afresh in zip(MOMENTS, kept_states, afresh_states):
        assert kept.parts == afresh.parts, (step, at)
        assert kept.tallies == afresh.tallies, (step, at)
        assert kept.aimed == afresh.aimed, (step, at)
    assert kept_live == afresh_live, step


@pytest.fixture()
def scene(session):
    promoters = [f.user(session, f"zs{n}", "promoter") for n in range(3)]
    buildings = [f.building(session, f"B0{n}") for n in range(1, 4)]
    leads = []
    for n in range(8):
        lead = f.lead(
            session,
            promoters[n % 3],
            created_on=date(2026, 6, 1) + timedelta(days=20 * n),
            expected_annual_tax=Decimal(100_000 * (n + 1)) + Decimal("0.37"),
            next_followup_on=date(2026, 6, 5) + timedelta(days=20 * n),
        )
        lead.target_buildings = buildings[: n % 4]
        leads.append(lead)
    session.commit()
    return promoters, buildings, leads


def one_write(session, rng: random.Random, promoters, buildings, leads) -> str:
    """One write as a user makes it, committed; returns what it was."""
    lead = rng.choice([lead for lead in leads if lead.merged_into_id is None])
    kind = rng.choice(["followup", "move", "owner", "tax", "targets", "new", "merge", "history"])
    try:
        if kind == "followup":
            on = TODAY - timedelta(days=rng.randrange(0, 120))
            add_followup(
                session,
                lead,
                promoters[0],
                TODAY,
                "电话",
                "回访",
                on=on,
                next_on=TODAY + timedelta(days=rng.randrange(20)),
            )
        elif kind == "move":
            move_stage(session, lead, rng.choice(list(STAGES)), promoters[0], TODAY, reason="测试", resume_on=None)
        elif kind == "owner":
            reassign_owner(session, lead, rng.choice(promoters).id, promoters[0])
        elif kind == "tax":
            lead.expected_annual_tax = Decimal(rng.randrange(0, 900_000)) + Decimal("0.05")
        elif kind == "targets":
            lead.target_buildings = rng.sample(buildings, rng.randrange(0, 4))
        elif kind == "new":
            leads.append(
                f.lead(session, rng.choice(promoters), created_on=TODAY - timedelta(days=rng.randrange(0, 200)))
            )
        elif kind == "history":  # a row of the history alone, its lead untouched (a correction)
            rows = [*session.scalars(select(FollowUp)), *session.scalars(select(LeadStageChange))]
            if not rows:
                return "history refused"
            row = rng.choice(rows)
            if isinstance(row, FollowUp):
                row.on = TODAY - timedelta(days=rng.randrange(0, 150))
            else:
                row.changed_at = row.changed_at - timedelta(days=rng.randrange(1, 90))
        else:
            other = rng.choice([o for o in leads if o.merged_into_id is None and o is not lead] or [lead])
            merge_leads(session, lead, other, promoters[0], TODAY)
        session.commit()
    except DomainError:
        session.rollback()
        return f"{kind} refused"
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_states_follow_every_kind_of_write(session, scene, seed):
    rng = random.Random(seed)
    journal.forget_all()
    assert_up_to_date(session, "start")
    done = []
    for step in range(40):
        done.append(one_write(session, rng, *scene))
        assert_up_to_date(session, f"{step}: {done[-1]}")
    assert sum(1 for kind in done if "refused" not in kind) >= 25, done


def test_a_follow_up_journals_its_lead_and_only_that_lead_is_recounted(session, scene):
    promoters, _, leads = scene
    at = MOMENTS[0]
    journal.forget_all()
    states_at(session, at, FIRST_FOLLOWUP_DAYS)
    _, mark = journal.recall(session, ("pipeline-states", at, FIRST_FOLLOWUP_DAYS))

    add_followup(session, leads[2], promoters[0], TODAY, "电话", "回访", on=date(2026, 10, 20), next_on=TODAY)
    session.commit()

    last = session.scalars(select(LeadChange).order_by(LeadChange.id.desc())).first()
    pipeline_token = session.execute(text("SELECT token FROM data_versions WHERE name = 'pipeline'")).scalar()
    assert (last.lead_id, last.token) == (leads[2].id, pipeline_token)
    now, changed = journal.changes_since(session, mark)
    assert changed == {leads[2].id} and now == journal.Mark(last.id, last.token)
    assert_up_to_date(session, "follow-up")


def test_a_rolled_back_write_leaves_nothing_in_the_kept_states(session, scene):
    promoters, buildings, leads = scene
    journal.forget_all()
    at = MOMENTS[0]
    before = counted_afresh(session, at)
    states_at(session, at, FIRST_FOLLOWUP_DAYS)

    leads[0].expected_annual_tax = Decimal("9999999.00")
    leads[0].target_buildings = buildings
    session.flush()
    during = states_at(session, at, FIRST_FOLLOWUP_DAYS)  # kept under the transaction's own row
    # Its part: to its tally and to each of its three buildings, with the new tax.
    assert [values[1] for _, _, values in during.parts[leads[0].id]] == [Decimal("9999999.00")] * 4
    session.rollback()

    assert states_at(session, at, FIRST_FOLLOWUP_DAYS) == before
    # The next write reuses the rolled-back row's id on SQLite: its token tells them apart.
    add_followup(session, leads[1], promoters[1], TODAY, "电话", "回访", on=date(2026, 10, 2), next_on=TODAY)
    session.commit()
    assert_up_to_date(session, "after the rollback")


def test_a_write_that_bypasses_the_journal_makes_everything_counted_again(session, scene):
    _, _, leads = scene
    journal.forget_all()
    at = MOMENTS[0]
    before = states_at(session, at, FIRST_FOLLOWUP_DAYS)
    # A bare statement, as a tool outside the app might run, and a new token by hand.
    session.connection().exec_driver_sql(f"UPDATE leads SET expected_annual_tax = 1.00 WHERE id = {leads[3].id}")
    session.connection().exec_driver_sql("UPDATE data_versions SET token = 'by-hand' WHERE name = 'pipeline'")
    session.commit()
    assert states_at(session, at, FIRST_FOLLOWUP_DAYS).tallies != before.tallies
    assert_up_to_date(session, "bypass")


def test_potentials_read_from_the_kept_sums_share_a_lead_among_its_targets(session, scene):
    _, buildings, leads = scene
    third = buildings[2]  # aimed at by leads 3 and 7 only, each with all three buildings
    move_stage(session, leads[3], "negotiation", leads[3].owner, TODAY)
    session.commit()
    journal.forget_all()
    shares = pipeline_potentials(session, MOMENTS[2], [third.id])
    assert [lead.target_buildings for lead in leads if third in lead.target_buildings] == [buildings, buildings]
    negotiation, first = STAGES["negotiation"][1], STAGES[leads[7].stage][1]
    expected = leads[3].expected_annual_tax * negotiation / 3 + leads[7].expected_annual_tax * first / 3
    assert shares == {third.id: expected.quantize(Decimal("0.01"))}


def test_a_database_upgraded_with_a_pipeline_token_keeps_its_states_before_the_next_write(app, session, scene):
    from flask_migrate import downgrade, upgrade

    token = session.execute(text("SELECT token FROM data_versions WHERE name = 'pipeline'")).scalar()
    session.commit()
    downgrade(revision="0022")  # a database of the release before the journal
    upgrade()
    journal.forget_all()
    at = MOMENTS[0]
    states_at(session, at, FIRST_FOLLOWUP_DAYS)
    kept, mark = journal.recall(session, ("pipeline-states", at, FIRST_FOLLOWUP_DAYS))
    assert kept is not None and mark.token == token  # counted once, then kept until a write
