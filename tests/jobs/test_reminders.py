"""What is due on a date, computed over hand-made data (crm.reminders.agenda), and recorded
exactly once (crm.reminders.notify) — the unique key decides, not the caller's care."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from crm.models import Notification, OccupancySnapshot, Reminder
from crm.reminders import agenda, notify
from tests import factories as f
from tests.jobs.conftest import make_lead, make_user

DAY = date(2026, 12, 2)


def record(session, dues):
    return notify.record(session, dues, email_configured=False)


def test_a_promoters_digest_holds_due_overdue_unfollowed_and_stale_leads(session):
    zs = make_user(session, "zs", "promoter")
    other = make_user(session, "ls", "promoter")
    make_lead(session, zs, "今日", DAY - timedelta(days=30), next_on=DAY, last_on=DAY - timedelta(days=5))
    make_lead(
        session, zs, "逾期", DAY - timedelta(days=30), next_on=DAY - timedelta(days=3), last_on=DAY - timedelta(days=10)
    )
    make_lead(session, zs, "新而未跟", DAY - timedelta(days=4))  # 4 days > the 3 allowed
    make_lead(session, zs, "新且在期", DAY - timedelta(days=3))  # exactly 3: not yet late
    make_lead(
        session, zs, "停滞", DAY - timedelta(days=60), next_on=DAY + timedelta(days=5), last_on=DAY - timedelta(days=15)
    )
    make_lead(session, zs, "已入驻", DAY - timedelta(days=60), next_on=DAY, stage="settled")
    make_lead(session, other, "别人的", DAY - timedelta(days=30), next_on=DAY + timedelta(days=1), last_on=DAY)
    [digest] = agenda.followup_digests(session, DAY)
    assert (digest.kind, digest.recipient_id, digest.due_key) == ("followup_digest", zs.id, "2026-12-02")
    assert digest.title == "2026-12-02 跟进提醒：今日到期 1，逾期 1，待首次跟进 1，久未跟进 1"
    by_heading = {s.heading: [line.text for line in s.lines] for s in digest.sections}
    assert by_heading == {
        "今日到期": ["今日（接洽）— 今天跟进"],
        "已逾期": ["逾期（接洽）— 逾期 3 天（应于 2026-11-29 跟进）"],
        "新项目尚未首次跟进": ["新而未跟（接洽）— 2026-11-28 登记，已 4 天"],
        "久未跟进": ["停滞（接洽）— 上次跟进 2026-11-17，已 15 天"],
    }


def test_recording_twice_records_once(session):
    zs = make_user(session, "zs", "promoter")
    make_lead(session, zs, "今日", DAY - timedelta(days=30), next_on=DAY, last_on=DAY - timedelta(days=5))
    dues = agenda.followup_digests(session, DAY)
    assert len(record(session, dues)) == 1
    assert record(session, agenda.followup_digests(session, DAY)) == []
    assert session.scalar(select(func.count(Reminder.id))) == 1
    assert session.scalar(select(func.count(Notification.id))) == 1
    # The next day is another reminder.
    assert len(record(session, agenda.followup_digests(session, DAY + timedelta(days=1)))) == 1


def test_escalation_lists_week_old_overdue_and_leases_past_their_end(session):
    admin = make_user(session, "boss", "admin")
    zs = make_user(session, "zs", "promoter")
    make_lead(
        session, zs, "八天", DAY - timedelta(days=60), next_on=DAY - timedelta(days=8), last_on=DAY - timedelta(days=9)
    )
    make_lead(
        session, zs, "七天", DAY - timedelta(days=60), next_on=DAY - timedelta(days=7), last_on=DAY - timedelta(days=9)
    )
    b = f.building(session, "A01", "甲大厦")
    u1, u2 = f.unit(session, b, 3, "01"), f.unit(session, b, 3, "02")
    f.lease(session, f.company(session, "过期很久公司"), b, [u1], date(2025, 1, 1), DAY - timedelta(days=8))
    f.lease(session, f.company(session, "刚过期公司"), b, [u2], date(2025, 1, 1), DAY - timedelta(days=7))
    [due] = agenda.escalations(session, DAY)
    assert due.recipient_id == admin.id
    assert due.title == "2026-12-02 逾期事项汇总：跟进逾期超 7 天 1 项，租约到期未处置 1 项"
    lines = {s.heading: [line.text for line in s.lines] for s in due.sections}
    assert lines == {
        "跟进逾期超过 7 天": ["八天（接洽）— zs姓名，逾期 8 天"],
        "租约到期未处置超过 7 天（未续租、未登记迁出）": ["过期很久公司（甲大厦）— 2026-11-24 到期，已 8 天"],
    }


def test_leases_are_told_once_per_threshold_to_the_buildings_managers(session):
    b = f.building(session, "A01", "甲大厦")
    orphan_building = f.building(session, "B01", "乙大厦")
    manager = make_user(session, "ly", "manager", buildings=[b])
    admin = make_user(session, "boss", "admin")
    units = [f.unit(session, b, 3, n) for n in ("01", "02", "03")]
    f.lease(session, f.company(session, "八十天公司"), b, [units[0]], date(2025, 1, 1), DAY + timedelta(days=80))
    f.lease(session, f.company(session, "百天公司"), b, [units[1]], date(2025, 1, 1), DAY + timedelta(days=100))
    f.lease(session, f.company(session, "二十天公司"), b, [units[2]], date(2025, 1, 1), DAY + timedelta(days=20))
    f.lease(
        session,
        f.company(session, "无人管公司"),
        orphan_building,
        [f.unit(session, orphan_building, 1, "01")],
        date(2025, 1, 1),
        DAY + timedelta(days=30),
    )
    everyone = agenda.people(session)

    def run(day):
        items = agenda.lease_expiry_items(session, day, everyone)
        return notify.record_items_in_digests(session, items, day, everyone, email_configured=False)

    assert len(run(DAY)) == 2  # the manager's digest and the admins' (the building without a manager)
    digest = session.scalar(
        select(Reminder).where(Reminder.kind == "lease_digest", Reminder.recipient_id == manager.id)
    )
    assert digest.title == "2026-12-02 租约到期提醒：2 份租约即将到期"
    assert "【30 天内到期】（1）\n· 二十天公司（甲大厦）— 2026-12-22 到期，还有 20 天" in digest.body_text
    assert "【90 天内到期】（1）\n· 八十天公司（甲大厦）— 2027-02-20 到期，还有 80 天" in digest.body_text
    assert "百天公司" not in digest.body_text
    admins = session.scalar(select(Reminder).where(Reminder.kind == "lease_digest", Reminder.recipient_id == admin.id))
    assert "无人管公司（乙大厦）" in admins.body_text
    # The next day: nothing new. Fifty days later the 80-day lease is within 30 days (told again)
    # and the 100-day one within 90.
    assert run(DAY + timedelta(days=1)) == []
    assert len(run(DAY + timedelta(days=50))) == 1
    later = session.scalar(select(Reminder).where(Reminder.kind == "lease_digest", Reminder.due_key == "2027-01-21"))
    assert later.title == "2027-01-21 租约到期提醒：2 份租约即将到期"
    assert "【30 天内到期】（1）\n· 八十天公司（甲大厦）— 2027-02-20 到期，还有 30 天" in later.body_text
    assert "【90 天内到期】（1）\n· 百天公司（甲大厦）— 2027-03-12 到期，还有 50 天" in later.body_text
    # Each item belongs to the digest that told it.
    items = session.scalars(select(Reminder).where(Reminder.kind.like("lease_expiry_%"))).all()
    assert sorted((i.kind, i.digest_id is not None) for i in items) == [
        ("lease_expiry_30", True),
        ("lease_expiry_30", True),
        ("lease_expiry_30", True),
        ("lease_expiry_90", True),
        ("lease_expiry_90", True),
    ]


def test_monthly_confirmation_reminds_on_days_1_3_5_then_tells_admins(session):
    b1, b2 = f.building(session, "A01", "甲大厦"), f.building(session, "B01", "乙大厦")
    manager = make_user(session, "ly", "manager", buildings=[b1, b2])
    admin = make_user(session, "boss", "admin")
    session.add(
        OccupancySnapshot(
            building_id=b2.id,
            period="2026-11",
            leasable_area=0,
            occupied_area=0,
            vacant_area=0,
            tenants=0,
            registered_tenants=0,
            confirmed_at=datetime.now(timezone.utc),
        )
    )
    session.flush()
    told = []
    for day in range(1, 9):
        new = record(session, agenda.confirmation_reminders(session, date(2026, 12, day)))
        told += [
            (day, r.kind, r.recipient_id, r.due_key)
            for r in session.scalars(select(Reminder).where(Reminder.id.in_(new)))
        ]
    assert told == [
        (1, "confirm_month", manager.id, "2026-11#1"),
        (3, "confirm_month", manager.id, "2026-11#3"),
        (5, "confirm_month", manager.id, "2026-11#5"),
        (6, "confirm_late", admin.id, "2026-11"),
    ]
    late = session.scalar(select(Reminder).where(Reminder.kind == "confirm_late"))
    assert late.title == "2026年11月月度填报逾期：1 栋楼宇尚未确认"
    assert "· A01 甲大厦（ly姓名）" in late.body_text


def test_nothing_to_confirm_means_no_reminder(session):
    b = f.building(session, "A01")
    make_user(session, "ly", "manager", buildings=[b])
    make_user(session, "boss", "admin")
    session.add(
        OccupancySnapshot(
            building_id=b.id,
            period="2026-11",
            leasable_area=0,
            occupied_area=0,
            vacant_area=0,
            tenants=0,
            registered_tenants=0,
            confirmed_at=datetime.now(timezone.utc),
        )
    )
    session.flush()
    assert agenda.confirmation_reminders(session, date(2026, 12, 1)) == []
    assert agenda.confirmation_reminders(session, date(2026, 12, 6)) == []


def test_long_digest_sections_are_capped_with_a_count(session):
    zs = make_user(session, "zs", "promoter")
    for i in range(35):
        make_lead(session, zs, f"企业{i:02d}", DAY - timedelta(days=30), next_on=DAY, last_on=DAY - timedelta(days=1))
    [digest] = agenda.followup_digests(session, DAY)
    text = notify.render_text(digest)
    assert "【今日到期】（35）" in text and text.count("· 企业") == 30
    assert "……另有 5 项，请登录系统查看。" in text
