"""The pipeline of a past month is read as of its end (DESIGN.md "As of"): stages from the stage
history, landings and follow-ups within the month, overdue as of the month's end, leads created
afterwards not counted — and the 亿元楼 candidates' pipeline potential shares a lead among its
target buildings. Hand-made leads, every figure worked out below.

M = 2026-10, today 2026-11-15; promoter 张专员 (zs); buildings X and Y.

    A  created 09-01, 线索 → 接洽 09-20 → 考察 10-31 23:30 (Beijing) → 洽谈 11-01 00:10 (Beijing);
       expected 1,000,000; targets X and Y; follow-ups 10-05 (next 10-20) and 11-10 (next 11-20)
    B  created 10-10, 线索, → 退出 11-05; expected 2,000,000; target X; never followed up, next 10-13
    C  created 11-02 (after M), 接洽; expected 300,000; target X
    D  created 06-01, → 注册落地 09-01 → 入驻 10-25 (landed 10-25); expected 400,000; follow-up 10-20
    E  created 06-01, → 注册落地 09-15 → 入驻 11-03 (landed 11-03); expected 500,000; target Y
    F  created 10-15, a duplicate merged into B: counted nowhere

At the end of October: 线索 B, 考察 A, 注册落地 E, 入驻 D → 3 active (A, B, E), expected
3,500,000, weighted 1,000,000 × 0.35 + 2,000,000 × 0.10 + 500,000 × 0.95 = 1,025,000; landed in
October 1 (D), in 2026 1; follow-ups in October 2 (A 10-05, D 10-20); overdue 2 (A: next 10-20,
B: next 10-13). Pipeline potential: X = 1,000,000 × 0.35 ÷ 2 + 2,000,000 × 0.10 = 375,000;
Y = 175,000 + 500,000 × 0.95 = 650,000.
Today: 接洽 C, 洽谈 A, 入驻 D and E, 退出 B; X = 1,000,000 × 0.50 ÷ 2 + 300,000 × 0.20 = 310,000,
Y = 250,000.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from crm.models import FollowUp, LeadStageChange
from crm.services.briefing import briefing_data
from crm.services.periods import BUSINESS_TZ
from crm.services.pipeline import as_of, pipeline_month, pipeline_potentials
from tests import factories as f

M, TODAY = "2026-10", date(2026, 11, 15)


def beijing(*parts) -> datetime:
    """A moment in Beijing time, stamped in UTC as the services stamp stage changes."""
    return datetime(*parts, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)


@pytest.fixture()
def scene(session):
    x, y = f.building(session, "X01", name="西大厦"), f.building(session, "Y01", name="东大厦")
    f.lease(session, f.company(session), x, [f.unit(session, x)], date(2025, 1, 1))  # the briefing needs data
    zs = f.user(session, "zs", "promoter")
    zs.display_name = "张专员"

    def lead(name, stage, created, tax, targets=(), path=(), **kw):
        item = f.lead(
            session,
            zs,
            name,
            stage=stage,
            created_on=created,
            expected_annual_tax=Decimal(tax),
            target_buildings=list(targets),
            **kw,
        )
        session.flush()
        before = None
        for to_stage, moment in [("lead", beijing(created.year, created.month, created.day, 10)), *path]:
            session.add(LeadStageChange(lead_id=item.id, from_stage=before, to_stage=to_stage, changed_at=moment))
            before = to_stage
        return item

    a = lead(
        "甲项目",
        "negotiation",
        date(2026, 9, 1),
        1_000_000,
        (x, y),
        [
            ("contact", beijing(2026, 9, 20, 10)),
            ("visit", beijing(2026, 10, 31, 23, 30)),
            ("negotiation", beijing(2026, 11, 1, 0, 10)),
        ],
        next_followup_on=date(2026, 11, 20),
        last_followup_on=date(2026, 11, 10),
    )
    b = lead(
        "乙项目",
        "lost",
        date(2026, 10, 10),
        2_000_000,
        (x,),
        [("lost", beijing(2026, 11, 5, 9))],
        next_followup_on=date(2026, 10, 13),
    )
    lead(
        "丙项目",
        "contact",
        date(2026, 11, 2),
        300_000,
        (x,),
        [("contact", beijing(2026, 11, 3, 9))],
        next_followup_on=date(2026, 11, 25),
    )
    d = lead(
        "丁项目",
        "settled",
        date(2026, 6, 1),
        400_000,
        (),
        [
            ("contact", beijing(2026, 6, 2, 9)),
            ("visit", beijing(2026, 6, 3, 9)),
            ("negotiation", beijing(2026, 7, 1, 9)),
            ("signed", beijing(2026, 8, 1, 9)),
            ("registered", beijing(2026, 9, 1, 9)),
            ("settled", beijing(2026, 10, 25, 9)),
        ],
        signed_on=date(2026, 8, 1),
        landed_on=date(2026, 10, 25),
    )
    lead(
        "戊项目",
        "settled",
        date(2026, 6, 1),
        500_000,
        (y,),
        [
            ("signed", beijing(2026, 8, 1, 9)),
            ("registered", beijing(2026, 9, 15, 9)),
            ("settled", beijing(2026, 11, 3, 9)),
        ],
        signed_on=date(2026, 8, 1),
        landed_on=date(2026, 11, 3),
    )
    lead(
        "乙项目（重复）",
        "lost",
        date(2026, 10, 15),
        9_000_000,
        (x,),
        [("lost", beijing(2026, 10, 20, 9))],
        merged_into_id=b.id,
    )
    for item, on, next_on in (
        (a, date(2026, 10, 5), date(2026, 10, 20)),
        (a, date(2026, 11, 10), date(2026, 11, 20)),
        (d, date(2026, 10, 20), date(2026, 10, 27)),
    ):
        session.add(FollowUp(lead_id=item.id, author=zs, on=on, method="电话", notes="跟进", next_followup_on=next_on))
    session.flush()
    return x, y


def counts(summary) -> dict[str, int]:
    return {s.stage: s.count for s in summary.funnel if s.count}


def test_a_past_month_is_read_as_of_its_end(session, scene):
    october = pipeline_month(session, M, TODAY)
    assert (october.at.day, october.at.live) == (date(2026, 10, 31), False)
    assert counts(october) == {"lead": 1, "visit": 1, "registered": 1, "settled": 1}
    assert (october.active_count, october.active_expected_tax, october.active_weighted_tax) == (
        3,
        Decimal("3500000"),
        Decimal("1025000.00"),
    )
    assert (october.landed.month, october.landed.year) == (1, 1)
    assert [(p.user.username, p.active, p.followups_this_month, p.overdue) for p in october.promoters] == [
        ("zs", 3, 2, 2)
    ]


def test_the_running_month_is_todays_state(session, scene):
    november = pipeline_month(session, "2026-11", TODAY)
    assert (november.at.day, november.at.live) == (TODAY, True)
    assert counts(november) == {"contact": 1, "negotiation": 1, "settled": 2, "lost": 1}
    assert (november.landed.month, november.landed.year) == (1, 2)
    # A's next follow-up is 11-20, B is lost: nothing overdue today; one follow-up (A 11-10) so far.
    assert [(p.user.username, p.active, p.followups_this_month, p.overdue) for p in november.promoters] == [
        ("zs", 2, 1, 0)
    ]


def test_overdue_leads_of_the_running_month_are_counted_per_promoter(session, scene):
    promoter = f.user(session, "ls", "promoter")
    for n, (stage, due, tax) in enumerate(
        [("contact", date(2026, 11, 1), "123.45"), ("visit", None, "0.10"), ("lead", date(2026, 11, 14), None)]
    ):
        f.lead(
            session, promoter, f"逾期{n}", stage=stage, next_followup_on=due, expected_annual_tax=tax and Decimal(tax)
        )
    november = pipeline_month(session, "2026-11", TODAY)
    mine = next(p for p in november.promoters if p.user.username == "ls")
    assert (mine.active, mine.expected_tax, mine.overdue) == (3, Decimal("123.55"), 2)  # one without a date


def test_a_lead_followed_up_only_after_the_month_was_due_its_first_follow_up(session, scene):
    """At October's end G (created 10-27) was past its first follow-up (10-27 + 3 days < 10-31);
    H (created 10-29) was not. Both were followed up in November only."""
    ww = f.user(session, "ww", "promoter")
    for name, created, followed in [
        ("庚项目", date(2026, 10, 27), date(2026, 11, 10)),
        ("辛项目", date(2026, 10, 29), date(2026, 11, 2)),
    ]:
        item = f.lead(session, ww, name, stage="contact", created_on=created, next_followup_on=date(2026, 11, 25))
        session.add(
            LeadStageChange(
                lead_id=item.id,
                from_stage=None,
                to_stage="lead",
                changed_at=beijing(created.year, created.month, created.day, 9),
            )
        )
        session.add(
            LeadStageChange(
                lead_id=item.id,
                from_stage="lead",
                to_stage="contact",
                changed_at=beijing(created.year, created.month, created.day, 10),
            )
        )
        session.add(
            FollowUp(
                lead_id=item.id,
                author=ww,
                on=followed,
                method="电话",
                notes="首次",
                next_followup_on=date(2026, 11, 25),
            )
        )
        item.last_followup_on = followed
    session.flush()
    october = pipeline_month(session, M, TODAY)
    mine = next(p for p in october.promoters if p.user.username == "ww")
    assert (mine.active, mine.overdue) == (2, 1)


def test_pipeline_potential_shares_a_lead_among_its_buildings_as_of_the_month(session, scene):
    x, y = scene
    assert pipeline_potentials(session, as_of(M, TODAY)) == {x.id: Decimal("375000.00"), y.id: Decimal("650000.00")}
    assert pipeline_potentials(session, as_of("2026-11", TODAY)) == {
        x.id: Decimal("310000.00"),
        y.id: Decimal("250000.00"),
    }
    assert pipeline_potentials(session, as_of(M, TODAY), [y.id]) == {y.id: Decimal("650000.00")}


def test_the_briefing_of_the_month_has_the_same_figures(session, scene):
    pipe = briefing_data(session, M, today=TODAY)["pipeline"]
    assert {s["stage"]: s["count"] for s in pipe["funnel"] if s["count"]} == {
        "lead": 1,
        "visit": 1,
        "registered": 1,
        "settled": 1,
    }
    assert (pipe["active_count"], pipe["active_weighted_tax"], pipe["landed_month"], pipe["overdue_total"]) == (
        3,
        1_025_000,
        1,
        2,
    )
    assert (pipe["new_leads"], pipe["new_leads_expected_tax"]) == (1, 2_000_000)  # B; C came in November, F is merged
    assert [(r["company_name"], r["stage_label"]) for r in pipe["landed"]] == [("丁项目", "入驻")]
    assert pipe["signed"] == []  # D and E signed in August
