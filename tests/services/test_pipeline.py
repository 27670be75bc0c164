"""Pipeline figures: funnel with expected tax, landed counts, per-promoter work, deadline flags, board
— today's (the month running, read from the leads' own columns)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm.models import FollowUp
from crm.services.pipeline import board, deadline_counts, funnel, pipeline_month

from tests import factories as f

TODAY = date(2026, 11, 15)


def scene(session):
    zs1, zs2 = f.user(session, "zs1", "promoter"), f.user(session, "zs2", "promoter")
    W = Decimal("10000")
    f.lead(
        session, zs1, "a", stage="lead", expected_annual_tax=100 * W, created_on=date(2026, 11, 1)
    )  # first follow-up late
    f.lead(
        session,
        zs1,
        "b",
        stage="negotiation",
        expected_annual_tax=300 * W,
        last_followup_on=date(2026, 10, 20),
        next_followup_on=date(2026, 11, 1),
    )  # stale and overdue
    f.lead(
        session,
        zs2,
        "c",
        stage="negotiation",
        expected_annual_tax=500 * W,
        last_followup_on=TODAY,
        next_followup_on=date(2026, 11, 20),
    )
    f.lead(session, zs2, "d", stage="signed", signed_on=date(2026, 7, 1), last_followup_on=TODAY)  # no tax given
    f.lead(session, zs2, "e", stage="settled", expected_annual_tax=200 * W, landed_on=date(2026, 11, 3))
    f.lead(session, zs1, "f", stage="settled", landed_on=date(2026, 3, 3))
    f.lead(session, zs1, "g", stage="settled", landed_on=date(2025, 12, 30))
    merged = f.lead(session, zs1, "h", stage="lost", expected_annual_tax=900 * W)
    f.lead(
        session, zs1, "i", stage="lost", merged_into_id=merged.id, expected_annual_tax=50 * W
    )  # merged away: not counted
    for author, day in ((zs1, date(2026, 11, 2)), (zs1, date(2026, 11, 14)), (zs2, date(2026, 10, 31))):
        session.add(FollowUp(lead_id=merged.id, author=author, on=day, method="电话", notes="x"))
    session.flush()
    return zs1, zs2


def test_funnel_counts_and_expected_tax_by_stage(session):
    scene(session)
    rows = {r.stage: (r.count, r.expected_tax, r.weighted_tax) for r in funnel(session)}
    month = {
        r.stage: (r.count, r.expected_tax, r.weighted_tax) for r in pipeline_month(session, "2026-11", TODAY).funnel
    }
    assert month == rows  # the running month is today's state
    assert list(rows) == [
        "lead",
        "contact",
        "visit",
        "negotiation",
        "signed",
        "registered",
        "settled",
        "paused",
        "lost",
    ]
    assert rows["negotiation"] == (2, Decimal("8000000"), Decimal("4000000.00"))  # 800 万 × 50 %
    assert rows["lead"] == (1, Decimal("1000000"), Decimal("100000.00"))
    assert rows["signed"] == (1, Decimal("0"), Decimal("0.00"))
    assert rows["settled"][0] == 3 and rows["lost"] == (1, Decimal("9000000"), Decimal("0"))
    assert rows["contact"] == (0, Decimal("0"), Decimal("0.00"))


def test_landed_this_month_and_year(session):
    scene(session)
    landed = pipeline_month(session, "2026-11", TODAY).landed
    assert (landed.month, landed.year) == (1, 2)


def test_promoter_figures_and_deadline_flags(session):
    zs1, zs2 = scene(session)
    summary = pipeline_month(session, "2026-11", TODAY)
    assert summary.at.live and summary.at.day == TODAY
    figures = {
        p.user.username: (p.active, p.expected_tax, p.followups_this_month, p.overdue) for p in summary.promoters
    }
    assert figures == {"zs1": (2, Decimal("4000000"), 2, 1), "zs2": (2, Decimal("5000000"), 0, 0)}
    assert deadline_counts(session, TODAY) == {
        "first_followup_late": 1,
        "stale": 1,
        "signed_not_registered": 1,
        "followup_overdue": 1,
    }
    assert deadline_counts(session, TODAY, owner_id=zs2.id)["signed_not_registered"] == 1


def test_board_columns_carry_counts_and_the_most_urgent_cards(session):
    zs1, _ = scene(session)
    columns = {c.figures.stage: c for c in board(session, per_column=1)}
    assert [lead.company_name for lead in columns["negotiation"].cards] == ["b"]  # next follow-up 11-01 before 11-20
    assert columns["negotiation"].hidden == 1 and columns["settled"].figures.count == 3
    mine = {c.figures.stage: c for c in board(session, owner_id=zs1.id)}
    assert [lead.company_name for lead in mine["negotiation"].cards] == ["b"] and mine["negotiation"].hidden == 0
