"""Follow-ups set the next date (a week later by default, never in the past) and feed "my work"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crm.services.errors import DomainError
from crm.services.followups import add_followup, my_work
from tests import factories as f

TODAY = date(2026, 11, 15)


def test_followup_defaults_next_date_a_week_later_and_updates_the_lead(session):
    zs = f.user(session, "zs", "promoter")
    lead = f.lead(session, zs, "甲公司", stage="contact", next_followup_on=date(2026, 11, 10))
    followup = add_followup(session, lead, zs, TODAY, "电话", "  约定下周考察  ")
    assert followup.on == TODAY and followup.next_followup_on == date(2026, 11, 22) and followup.notes == "约定下周考察"
    assert lead.next_followup_on == date(2026, 11, 22) and lead.last_followup_on == TODAY
    # A late entry for an earlier call keeps the later last-follow-up date.
    add_followup(session, lead, zs, TODAY, "微信", "补记上周沟通", on=date(2026, 11, 8), next_on=date(2026, 11, 30))
    assert lead.last_followup_on == TODAY and lead.next_followup_on == date(2026, 11, 30)


@pytest.mark.parametrize(
    "kw, field, message",
    [
        ({"next_on": date(2026, 11, 14)}, "next_on", "已经过去"),
        ({"on": date(2026, 11, 16)}, "on", "晚于今天"),
        ({"method": "飞鸽传书"}, "method", "跟进方式"),
        ({"notes": " "}, "notes", "跟进内容"),
    ],
)
def test_bad_followups_are_refused(session, kw, field, message):
    zs = f.user(session, "zs", "promoter")
    lead = f.lead(session, zs, "甲公司", next_followup_on=date(2026, 11, 16))
    args = {"method": "电话", "notes": "电话沟通"} | kw
    with pytest.raises(DomainError, match=message) as error:
        add_followup(session, lead, zs, TODAY, args.pop("method"), args.pop("notes"), **args)
    assert error.value.field == field
    assert lead.next_followup_on == date(2026, 11, 16) and lead.followups == []


def test_my_work_splits_due_overdue_never_and_upcoming(session):
    zs, other = f.user(session, "zs", "promoter"), f.user(session, "other", "promoter")
    f.lead(session, zs, "今天", stage="visit", next_followup_on=TODAY, last_followup_on=date(2026, 11, 8))
    f.lead(
        session,
        zs,
        "逾期五天",
        stage="negotiation",
        next_followup_on=date(2026, 11, 10),
        last_followup_on=date(2026, 11, 3),
    )
    f.lead(session, zs, "从未跟进", created_on=date(2026, 11, 9), next_followup_on=date(2026, 11, 12))
    f.lead(
        session, zs, "下周", stage="contact", next_followup_on=date(2026, 11, 20), last_followup_on=date(2026, 11, 13)
    )
    f.lead(session, zs, "已退出", stage="lost", next_followup_on=date(2026, 11, 1))
    f.lead(session, other, "别人的", stage="visit", next_followup_on=TODAY, last_followup_on=TODAY)
    work = my_work(session, TODAY, zs.id)
    assert [i.lead.company_name for i in work.due_today] == ["今天"]
    assert [(i.lead.company_name, i.days_overdue) for i in work.overdue] == [("逾期五天", 5), ("从未跟进", 3)]
    assert [(i.lead.company_name, i.days_overdue) for i in work.never] == [("从未跟进", 6)]
    assert [i.lead.company_name for i in work.upcoming] == ["下周"]
    assert {i.lead.company_name for i in my_work(session, TODAY).due_today} == {"今天", "别人的"}


def test_my_work_cut_at_a_limit_keeps_the_most_urgent_and_counts_all(session):
    zs = f.user(session, "zs", "promoter")
    for days in range(1, 8):  # seven overdue leads, 1–7 days late
        f.lead(
            session,
            zs,
            f"逾期{days}天",
            stage="visit",
            next_followup_on=TODAY - timedelta(days=days),
            last_followup_on=date(2026, 10, 1),
        )
    work = my_work(session, TODAY, zs.id, limit=3)
    assert [i.days_overdue for i in work.overdue] == [7, 6, 5]
    assert work.counts == {"overdue": 7, "due_today": 0, "never": 0, "upcoming": 0} and not work.empty
