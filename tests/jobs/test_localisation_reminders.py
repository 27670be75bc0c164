"""属地化 follow-ups are told to the item's owner on its next follow-up date (or the first tick
after it), once per item and date: a second tick, the next mornings — nothing more; a new
follow-up with a new date tells again on that date. Done items are not told."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from crm.models import Notification, Reminder
from crm.reminders.jobs import JOBS_BY_NAME, run_job
from crm.services import localisation as L
from tests import factories as f
from tests.jobs.conftest import make_user

DUE = date(2026, 12, 10)


def tick(app, session, day):
    return run_job(session, JOBS_BY_NAME["localisation_followup"], day, app.config)


def told(session):
    session.expire_all()
    return sorted(
        session.execute(
            select(Reminder.object_id, Reminder.recipient_id, Reminder.due_key).where(
                Reminder.kind == "localisation_followup"
            )
        ).all()
    )


def test_told_once_per_item_and_date(app, session):
    b = f.building(session, "A01", "甲大厦")
    promoter = make_user(session, "zs", "promoter")
    company = f.company(session, "未注册公司", registered=False)
    f.lease(session, company, b, [f.unit(session, b, 3, "01", 300)], date(2025, 1, 1))
    item = L.item_for(session, company, "occupying_unregistered", b.id)
    L.add_followup(session, item, promoter, date(2026, 12, 3), "电话", "约了下周走访", next_on=DUE)
    session.commit()
    key = str(item.id)

    tick(app, session, DUE - timedelta(days=1))
    assert told(session) == []
    tick(app, session, DUE)
    assert told(session) == [(key, promoter.id, "2026-12-10")]
    note = session.scalar(select(Notification).where(Notification.kind == "localisation_followup"))
    assert note.recipient_id == promoter.id and note.title == "属地化跟进：未注册公司（入驻不注册）2026-12-10 到期"
    assert note.link == f"/localisation/items/{item.id}"
    assert tick(app, session, DUE).outcome == "done-before"
    for offset in range(1, 4):
        tick(app, session, DUE + timedelta(days=offset))
    assert len(told(session)) == 1

    L.add_followup(
        session,
        session.merge(item),
        promoter,
        DUE + timedelta(days=3),
        "走访",
        "已走访，财务在研究",
        next_on=date(2026, 12, 20),
    )
    L.move(session, session.merge(item), "visited", DUE + timedelta(days=3))
    session.commit()
    tick(app, session, date(2026, 12, 20))
    assert told(session) == [(key, promoter.id, "2026-12-10"), (key, promoter.id, "2026-12-20")]
    L.move(session, session.merge(item), "done", date(2026, 12, 21))
    session.commit()
    assert L.due_followups(session, date(2026, 12, 30)) == {}
