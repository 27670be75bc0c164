"""Notifications as a user sees them: the bell on every page (one query), the list with what,
which object and when, marking read; the channel settings; the admin's jobs page with failed
deliveries and group-robot URLs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from crm.extensions import db
from crm.models import Delivery, JobRun, Notification, Reminder, RoleWebhook
from crm.reminders import notify
from tests import factories as f


@pytest.fixture()
def people(session):
    users = {
        "admin": f.user(session, "admin", "admin"),
        "leader": f.user(session, "leader", "leader"),
        "zs": f.user(session, "zs", "promoter"),
        "ls": f.user(session, "ls", "promoter"),
    }
    session.commit()
    return users


def add_notification(session, user, title, link="/leads/7", read=False, created=None):
    n = Notification(
        recipient_id=user.id,
        kind="followup_digest",
        title=title,
        body=f"{title}的详情",
        link=link,
        created_at=created or datetime(2026, 11, 16, 0, 30, tzinfo=timezone.utc),
        read_at=datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc) if read else None,
    )
    session.add(n)
    session.commit()
    return n


def test_the_bell_shows_the_unread_count_with_one_query(app, session, login, people):
    add_notification(session, people["zs"], "甲")
    add_notification(session, people["zs"], "乙")
    add_notification(session, people["zs"], "丙", read=True)
    add_notification(session, people["ls"], "别人的")
    client = login("zs")
    statements = []

    def count(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get("/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert '<span class="badge rounded-pill bg-danger bell-count" data-testid="bell-count">2</span>' in page
    assert len(statements) == 1


def test_no_badge_without_unread(login, people):
    page = login("leader").get("/").get_data(as_text=True)
    assert 'data-testid="bell"' in page and "bell-count" not in page


def test_the_list_says_what_about_which_object_and_when(login, session, people):
    add_notification(session, people["zs"], "2026-11-16 跟进提醒：今日到期 1", link="/leads/7")
    add_notification(session, people["ls"], "别人的通知")
    page = login("zs").get("/notifications").get_data(as_text=True)
    assert "2026-11-16 跟进提醒：今日到期 1" in page and "别人的通知" not in page
    assert "2026-11-16 08:30" in page  # 00:30 UTC shown in Asia/Shanghai
    assert "共 1 条" in page and "全部标为已读" in page


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(login, session, people):
    n = add_notification(session, people["zs"], "甲", link="/leads/7")
    response = login("zs").post(f"/notifications/{n.id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/leads/7"
    session.refresh(n)
    assert n.read_at is not None


def test_mark_one_and_mark_all(login, session, people):
    a = add_notification(session, people["zs"], "甲")
    b = add_notification(session, people["zs"], "乙")
    other = add_notification(session, people["ls"], "别人的")
    client = login("zs")
    assert client.post(f"/notifications/{a.id}/read").status_code == 302
    session.expire_all()
    assert session.get(Notification, a.id).read_at is not None and session.get(Notification, b.id).read_at is None
    # Someone else's notification is not found, and stays unread.
    assert client.post(f"/notifications/{other.id}/read").status_code == 404
    page = client.post("/notifications/read-all", follow_redirects=True).get_data(as_text=True)
    assert "已将 1 条通知标为已读" in page
    session.expire_all()
    assert session.get(Notification, b.id).read_at is not None
    assert session.get(Notification, other.id).read_at is None
    assert "没有未读通知" in client.get("/notifications?unread=1").get_data(as_text=True)


def test_empty_list_says_what_comes_here(login, people):
    page = login("leader").get("/notifications").get_data(as_text=True)
    assert "没有通知。跟进到期、租约将到期、月度填报和月度简报的提醒会出现在这里" in page


def test_anonymous_goes_to_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_user_turns_email_off(login, session, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    client = login("zs")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "站内通知" in page and "checked" in page
    assert "没有填写邮箱地址" in page  # the factory user has no e-mail
    client.post("/account/notifications", data={})
    assert notify.email_enabled(session, people["zs"].id) is False
    client.post("/account/notifications", data={"email_enabled": "y"})
    assert notify.email_enabled(session, people["zs"].id) is True


def failed_delivery(session, user):
    reminder = Reminder(
        kind="followup_digest",
        object_type="user",
        object_id=str(user.id),
        recipient_id=user.id,
        due_key="2026-11-16",
        title="2026-11-16 跟进提醒：逾期 2",
        body_text="…",
    )
    session.add(reminder)
    session.flush()
    delivery = Delivery(
        reminder_id=reminder.id,
        channel="email",
        target="zs@xigang.example",
        status="failed",
        attempts=2,
        last_error="邮件服务器拒收收件人：zs@xigang.example 550 mailbox unavailable",
    )
    session.add(delivery)
    session.add(
        JobRun(
            job="monthly_briefing",
            run_key="2026-10",
            outcome="failed",
            detail="月度简报功能尚未安装（缺少 crm.services.briefing），未生成简报",
            started_at=datetime(2026, 11, 6, 1, 0, tzinfo=timezone.utc),
        )
    )
    session.commit()
    return delivery


def test_admin_sees_jobs_outcomes_and_failed_deliveries_and_retries_one(login, session, people):
    delivery = failed_delivery(session, people["zs"])
    client = login("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "月度简报生成与发送" in page and "每月 6 日 09:00" in page and "每天 08:30" in page
    assert "月度简报功能尚未安装（缺少 crm.services.briefing），未生成简报" in page
    assert "550 mailbox unavailable" in page and "失败待重试" in page
    client.post(f"/admin/jobs/deliveries/{delivery.id}/retry")
    session.refresh(delivery)
    assert delivery.status == "pending"


def test_only_admins_open_the_jobs_page(login, people):
    assert login("leader").get("/admin/jobs").status_code == 403


def test_admin_sets_a_group_robot_and_a_bad_url_is_refused_beside_its_field(login, session, people):
    client = login("admin")
    bad = client.post("/admin/jobs/webhooks", data={"webhook_promoter": "qyapi.weixin.qq.com/send?key=1"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "群机器人地址应为 https:// 开头的完整网址" in page
    assert 'value="qyapi.weixin.qq.com/send?key=1"' in page  # what was typed is kept
    assert session.scalar(select(RoleWebhook)) is None
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    assert client.post("/admin/jobs/webhooks", data={"webhook_promoter": url}).status_code == 302
    assert session.get(RoleWebhook, "promoter").url == url
    assert client.post("/admin/jobs/webhooks", data={"webhook_promoter": ""}).status_code == 302
    session.expire_all()
    assert session.get(RoleWebhook, "promoter") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://0x7f000001/",
        "https://2130706433/",
        "https://intranet.example/send",
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
    ],
)
def test_robot_urls_that_point_anywhere_but_a_robot_are_refused_and_nothing_is_saved(login, session, people, url):
    client = login("admin")
    response = client.post("/admin/jobs/webhooks", data={"webhook_leader": url})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "群机器人地址" in page and 'class="invalid-feedback d-block"' in page
    assert session.scalar(select(RoleWebhook)) is None


def test_the_admin_edits_the_robot_host_allowlist_on_the_jobs_page(login, session, people):
    client = login("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "qyapi.weixin.qq.com\noapi.dingtalk.com</textarea>" in page
    own = "https://robot.dl-xigang.gov.cn/send?key=1"
    refused = client.post("/admin/jobs/webhooks", data={"webhook_promoter": own})
    assert "robot.dl-xigang.gov.cn 不在允许列表中" in refused.get_data(as_text=True)
    saved = client.post(
        "/admin/jobs/webhooks",
        data={"webhook_hosts": "qyapi.weixin.qq.com\nrobot.dl-xigang.gov.cn", "webhook_promoter": own},
    )
    assert saved.status_code == 302
    assert session.get(RoleWebhook, "promoter").url == own
    assert notify.robot_hosts(session) == ("qyapi.weixin.qq.com", "robot.dl-xigang.gov.cn")
    bad = client.post("/admin/jobs/webhooks", data={"webhook_hosts": "qyapi.weixin.qq.com\n10.0.0.8"})
    assert bad.status_code == 400
    assert "允许的机器人域名“10.0.0.8”不能使用 IP 地址" in bad.get_data(as_text=True)
    session.expire_all()
    assert notify.robot_hosts(session) == ("qyapi.weixin.qq.com", "robot.dl-xigang.gov.cn")
