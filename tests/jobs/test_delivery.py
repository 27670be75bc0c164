"""Delivering reminders: real SMTP (aiosmtpd), a local webhook robot, and everything that goes
wrong — a refusing or absent mail server, a robot answering 500 or hanging, a user without an
e-mail — none of which stops the other deliveries, and each of which an admin can see."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import func, select

from crm.reminders.outbox import MAX_ATTEMPTS, deliver_due
from crm.reminders.jobs import JOBS_BY_NAME, run_job, tick
from crm.models import Delivery, JobRun, Notification, Reminder, RoleWebhook
from crm.reminders import notify
from tests.jobs.conftest import free_port, make_lead, make_user

DAY = date(2026, 12, 2)  # before the briefing day: only the daily jobs are due
NOW = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai


@pytest.fixture()
def traveller():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def promoter_with_work(session, username="zs", email=True):
    user = make_user(session, username, "promoter", email=email)
    make_lead(
        session, user, f"{username}今日企业", DAY - timedelta(days=10), next_on=DAY, last_on=DAY - timedelta(days=3)
    )
    make_lead(
        session,
        user,
        f"{username}逾期企业",
        DAY - timedelta(days=30),
        next_on=DAY - timedelta(days=4),
        last_on=DAY - timedelta(days=11),
    )
    return user


def statuses(session) -> dict[tuple[str, str], str]:
    rows = session.execute(
        select(Reminder.recipient_id, Delivery.channel, Delivery.status).join(
            Reminder, Reminder.id == Delivery.reminder_id
        )
    ).all()
    from crm.models import User

    names = dict(session.execute(select(User.id, User.username)).all())
    return {(names[r], channel): status for r, channel, status in rows}


def test_digest_arrives_once_as_plain_and_html_with_a_chinese_subject(app, session, smtp, traveller):
    promoter_with_work(session)
    session.commit()
    results = {r.job: r for r in tick(session, DAY, app.config)}
    assert results["followup_digest"].outcome == "ok"
    smtp.wait_for(1)
    [message] = smtp.to("zs@xigang.example")
    assert message["Subject"] == "【楼宇招商通】2026-12-02 跟进提醒：今日到期 1，逾期 1"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "· zs今日企业（接洽）— 今天跟进" in plain
    assert "· zs逾期企业（接洽）— 逾期 4 天（应于 2026-11-28 跟进）" in plain
    assert '<a href="/leads/' in html and "zs逾期企业" in html
    # In-app too, and a second tick of the same day sends and records nothing more.
    assert session.scalar(select(func.count(Notification.id))) == 1
    again = {r.job: r.outcome for r in tick(session, DAY, app.config)}
    assert again["followup_digest"] == "done-before"
    smtp.wait_for(2, seconds=0.3)
    assert len(smtp.messages) == 1
    assert session.scalar(select(func.count(Reminder.id))) == 1


def test_a_refused_recipient_fails_alone_and_is_retried_with_backoff(app, session, smtp, traveller):
    promoter_with_work(session, "refused")
    promoter_with_work(session, "fine")
    session.commit()
    smtp.refuse.add("refused@xigang.example")
    tick(session, DAY, app.config)
    smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["fine@xigang.example"]
    failed = session.scalar(select(Delivery).where(Delivery.target == "refused@xigang.example"))
    assert failed.status == "failed" and failed.attempts == 1
    assert "550" in failed.last_error and "refused@xigang.example" in failed.last_error
    assert failed.next_attempt_at.replace(tzinfo=timezone.utc) == NOW + timedelta(minutes=1)
    # Not due yet: nothing happens; a minute later the retry goes through.
    assert deliver_due(session, app.config).sent == 0
    smtp.refuse.clear()
    traveller.shift(timedelta(minutes=1))
    assert deliver_due(session, app.config).sent == 1
    smtp.wait_for(2)
    assert sorted(m["To"] for m in smtp.messages) == ["fine@xigang.example", "refused@xigang.example"]


def test_mail_server_down_does_not_stop_the_webhook_and_gives_up_after_the_last_attempt(
    app, session, robot, traveller, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nobody listens there
    promoter_with_work(session)
    session.add(RoleWebhook(role="promoter", url=robot.url))
    session.commit()
    tick(session, DAY, app.config)
    assert statuses(session) == {("zs", "email"): "failed", ("zs", "webhook"): "sent"}
    [posted] = robot.received
    assert posted["msgtype"] == "text"
    assert posted["text"]["content"].startswith("【楼宇招商通】2026-12-02 跟进提醒：今日到期 1，逾期 1")
    email_delivery = session.scalar(select(Delivery).where(Delivery.channel == "email"))
    assert "无法连接邮件服务器" in email_delivery.last_error
    # Backoff 1, 5, 15, 60, 240 minutes; the sixth failure gives up.
    for minutes in (1, 5, 15, 60, 240):
        traveller.shift(timedelta(minutes=minutes))
        deliver_due(session, app.config)
    session.refresh(email_delivery)
    assert email_delivery.attempts == MAX_ATTEMPTS == 6
    assert email_delivery.status == "dead"


def test_webhook_500_and_hang_fail_without_blocking_mail(app, session, smtp, robot, traveller, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.3)
    promoter_with_work(session, "p500")
    make_user(session, "boss", "admin")
    session.add(RoleWebhook(role="promoter", url=robot.url))
    session.commit()
    robot.status = 500
    tick(session, DAY, app.config)
    smtp.wait_for(1)
    assert statuses(session)[("p500", "webhook")] == "failed"
    assert statuses(session)[("p500", "email")] == "sent"
    hook = session.scalar(select(Delivery).where(Delivery.channel == "webhook"))
    assert hook.last_error == "群机器人返回 HTTP 500"
    # Now the robot hangs: the retry times out and is recorded as such.
    robot.status, robot.hang = 200, 5
    traveller.shift(timedelta(minutes=1))
    deliver_due(session, app.config)
    session.refresh(hook)
    assert hook.status == "failed" and hook.attempts == 2
    assert "0.3 秒内没有响应" in hook.last_error


def test_a_user_without_email_still_gets_the_notification_and_admins_see_why(app, session, smtp, traveller):
    promoter_with_work(session, "noemail", email=False)
    promoter_with_work(session, "withemail")
    session.commit()
    tick(session, DAY, app.config)
    smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["withemail@xigang.example"]
    skipped = session.scalar(select(Delivery).where(Delivery.status == "skipped"))
    assert skipped.last_error == notify.NO_EMAIL
    assert session.scalar(select(func.count(Notification.id))) == 2
    troubled, counts = notify.troubled_deliveries(session)
    assert [row.username for row in troubled] == ["noemail"] and counts["skipped"] == 1


def test_email_turned_off_by_the_user_sends_only_in_app(app, session, smtp, traveller):
    user = promoter_with_work(session)
    notify.set_email_enabled(session, user.id, False)
    session.commit()
    tick(session, DAY, app.config)
    assert session.scalar(select(func.count(Delivery.id))) == 0
    assert session.scalar(select(func.count(Notification.id))) == 1


def test_deactivated_owner_leads_go_to_admins(app, session, smtp, traveller):
    gone = promoter_with_work(session, "gone")
    gone.active = False
    make_user(session, "boss", "admin")
    session.commit()
    tick(session, DAY, app.config)
    smtp.wait_for(1)
    assert smtp.to("gone@xigang.example") == []
    [message] = smtp.to("boss@xigang.example")
    text = message.get_body(("plain",)).get_content()
    assert "【负责人已停用的项目（请重新分配）】（2）" in text
    assert "今日到期：gone今日企业（接洽）— gone姓名（已停用）：今天跟进" in text


class FakeBriefing(SimpleNamespace):
    pass


def test_briefing_is_generated_once_and_mailed_with_its_pdf(app, session, smtp, traveller, monkeypatch):
    calls = []

    def generate_briefing(session_, month, generated_by=None):
        calls.append((month, generated_by))
        return FakeBriefing(pdf=b"%PDF-1.4 briefing " + month.encode())

    monkeypatch.setitem(sys.modules, "crm.monthly_briefing", SimpleNamespace(generate_briefing=generate_briefing))
    make_user(session, "leader", "leader")
    make_user(session, "boss", "admin")
    make_user(session, "zs", "promoter")
    session.commit()
    day = date(2026, 12, 6)
    results = {r.job: r for r in tick(session, day, app.config)}
    assert results["monthly_briefing"].outcome == "ok" and results["monthly_briefing"].key == "2026-11"
    smtp.wait_for(2)
    [message] = smtp.to("leader@xigang.example")
    assert message["Subject"] == "【楼宇招商通】西岗区商务楼宇经济月度简报（2026年11月）"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "西岗区商务楼宇经济月度简报-2026年11月.pdf"
    assert attachment.get_content() == b"%PDF-1.4 briefing 2026-11"
    assert len(smtp.to("boss@xigang.example")) == 1 and smtp.to("zs@xigang.example") == []
    # The next day (catch-up window) and a repeated tick generate nothing more.
    tick(session, day, app.config)
    tick(session, day + timedelta(days=1), app.config)
    assert calls == [("2026-11", None)]
    assert len(smtp.messages) == 2


def test_missing_briefing_module_is_a_clear_failure_and_the_rest_still_runs(app, session, smtp, traveller, monkeypatch):
    monkeypatch.setitem(sys.modules, "crm.monthly_briefing", None)  # import fails as if absent
    promoter_with_work(session)
    session.commit()
    results = {r.job: r for r in tick(session, date(2026, 12, 6), app.config)}
    assert results["monthly_briefing"].outcome == "failed"
    assert results["monthly_briefing"].detail == "月度简报功能尚未安装（缺少 crm.monthly_briefing），未生成简报"
    assert results["followup_digest"].outcome == "ok"
    run = session.scalar(select(JobRun).where(JobRun.job == "monthly_briefing"))
    assert (run.outcome, run.run_key) == ("failed", "2026-11")
    smtp.wait_for(1)
    assert len(smtp.to("zs@xigang.example")) == 1


def test_a_crash_after_claiming_is_released_and_retried(app, session, smtp, traveller):
    """A claim left by a process that died (here: a pid that no longer exists) is taken over."""
    import subprocess

    promoter_with_work(session)
    session.commit()
    run_job(session, JOBS_BY_NAME["followup_digest"], DAY, app.config)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    delivery = session.scalar(select(Delivery))
    delivery.status, delivery.attempts = "sending", 1
    delivery.claimed_by, delivery.claimed_at = f"{__import__('socket').gethostname()}:{dead.stdout.strip()}:x", NOW
    session.commit()
    stats = deliver_due(session, app.config)
    assert (stats.released, stats.sent) == (1, 1)
    smtp.wait_for(1)
    assert len(smtp.messages) == 1


def test_a_live_claim_of_another_process_is_left_alone(app, session, smtp, traveller):
    import os
    import socket

    promoter_with_work(session)
    session.commit()
    run_job(session, JOBS_BY_NAME["followup_digest"], DAY, app.config)
    delivery = session.scalar(select(Delivery))
    delivery.status, delivery.claimed_by, delivery.claimed_at = (
        "sending",
        f"{socket.gethostname()}:{os.getppid()}:x",
        NOW,
    )
    session.commit()
    assert deliver_due(session, app.config).sent == 0
    # …until the claim is older than the timeout (a host that vanished).
    traveller.shift(timedelta(minutes=11))
    assert deliver_due(session, app.config).sent == 1
