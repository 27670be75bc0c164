"""Lapsed leases (到期未处置) are told to the building's managers on the end date and every week after
it, exactly once per lease and week — whatever the number of ticks or restarts — until resolved."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from crm.reminders.jobs import JOBS_BY_NAME, run_job
from crm.models import JobRun, Reminder
from crm.services import moves
from tests import factories as f
from tests.jobs.conftest import make_user

END = date(2026, 12, 1)


def tick(app, session, day):
    return run_job(session, JOBS_BY_NAME["lease_expiry"], day, app.config)


def lapsed_items(session) -> list[tuple[str, int, str]]:
    session.expire_all()
    return sorted(
        session.execute(
            select(Reminder.object_id, Reminder.recipient_id, Reminder.due_key).where(Reminder.kind == "lease_lapsed")
        ).all()
    )


def test_told_on_the_end_date_and_weekly_once_per_lease_and_week(app, session):
    b = f.building(session, "A01", "甲大厦")
    manager = make_user(session, "ly", "manager", buildings=[b])
    make_user(session, "boss", "admin")  # not told: the building has a manager
    lease = f.lease(
        session, f.company(session, "到期公司"), b, [f.unit(session, b, 3, "01", 300)], date(2024, 1, 1), END
    )
    session.commit()
    key = str(lease.id)

    assert tick(app, session, END - timedelta(days=1)).outcome == "ok"
    assert lapsed_items(session) == []  # the day before the end: the 30-day notice only
    tick(app, session, END)
    assert lapsed_items(session) == [(key, manager.id, "2026-12-01#0")]
    digest = session.scalar(select(Reminder).where(Reminder.kind == "lease_digest", Reminder.due_key == "2026-12-01"))
    assert digest.recipient_id == manager.id and digest.title == "2026-12-01 租约到期提醒：1 份今天到期"
    assert "到期公司（甲大厦，300 m²）— 今天到期，明天起如未续租或登记迁出即为到期未处置" in digest.body_text

    # A second tick the same day, and the rest of the week: nothing more.
    assert tick(app, session, END).outcome == "done-before"
    for offset in range(1, 7):
        tick(app, session, END + timedelta(days=offset))
    assert len(lapsed_items(session)) == 1

    # A week on: told again, once — also when the run is done again after a crash (a restart).
    week = END + timedelta(days=7)
    tick(app, session, week)
    session.execute(
        update(JobRun).where(JobRun.job == "lease_expiry", JobRun.run_key == week.isoformat()).values(outcome="failed")
    )
    session.commit()
    assert tick(app, session, week).outcome == "ok"  # taken over and run again
    assert lapsed_items(session) == [(key, manager.id, "2026-12-01#0"), (key, manager.id, "2026-12-01#1")]
    later = session.scalar(
        select(Reminder).where(Reminder.kind == "lease_digest", Reminder.due_key == week.isoformat())
    )
    assert later.title == "2026-12-08 租约到期提醒：1 份到期未处置"
    assert (
        "【到期未处置（请续租、登记迁出或转为不定期）】（1）\n· 到期公司（甲大厦，300 m²）— 2026-12-01 到期，已过 7 天未处置"
        in later.body_text
    )

    # A scheduler that missed the day of week two catches up within the week, once.
    tick(app, session, END + timedelta(days=16))
    tick(app, session, END + timedelta(days=17))
    assert [item[2] for item in lapsed_items(session)] == ["2026-12-01#0", "2026-12-01#1", "2026-12-01#2"]

    # Resolved (made open-ended): no more.
    lease = session.get(type(lease), lease.id)
    moves.make_open_ended(session, lease, lease.version)
    session.commit()
    tick(app, session, END + timedelta(days=21))
    assert len(lapsed_items(session)) == 3


def test_a_building_without_managers_tells_the_admins(app, session):
    b = f.building(session, "B01", "乙大厦")
    admin = make_user(session, "boss", "admin")
    f.lease(
        session, f.company(session), b, [f.unit(session, b, 1, "01", 100)], date(2024, 1, 1), END - timedelta(days=10)
    )
    session.commit()
    tick(app, session, END)
    assert [(r, k) for _, r, k in lapsed_items(session)] == [(admin.id, "2026-11-21#1")]
