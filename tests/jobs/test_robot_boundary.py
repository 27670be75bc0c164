"""Group robots can only be robots: a stored URL is checked again when sent, the host's addresses
are checked right before connecting and the connection goes to the address checked, redirects are
not followed, and the admin sees a status and a short reason — never what the other side said."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

import pytest
import time_machine
from sqlalchemy import select

from crm.reminders.outbox import deliver_due
from crm.models import Delivery, RoleWebhook
from crm.reminders import notify
from tests.jobs.conftest import make_lead, make_user, serve

DAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def traveller():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


def robot_delivery(app, session, url: str) -> Delivery:
    """A promoter with a lead due today, reminders recorded (in-app and to the promoters' robot)."""
    user = make_user(session, "zs", "promoter", email=False)
    make_lead(session, user, "今日企业", DAY - timedelta(days=10), next_on=DAY, last_on=DAY - timedelta(days=3))
    session.add(RoleWebhook(role="promoter", url=url))
    session.commit()
    from crm.reminders.jobs import JOBS_BY_NAME, run_job

    run_job(session, JOBS_BY_NAME["followup_digest"], DAY, app.config)
    return session.scalar(select(Delivery).where(Delivery.channel == "webhook"))


def send_now(app, session, delivery: Delivery) -> Delivery:
    deliver_due(session, app.config)
    session.refresh(delivery)
    return delivery


def test_a_name_that_resolves_to_this_machine_is_refused_at_send_time(app, session, robot, monkeypatch):
    # The admin allowed "localhost" as a robot host; only the test switch may reach a local robot.
    monkeypatch.setitem(app.config, "WEBHOOK_TEST_HOSTS", ())
    notify.set_robot_hosts(session, "qyapi.weixin.qq.com\nlocalhost")
    delivery = send_now(app, session, robot_delivery(app, session, f"https://localhost:{robot.port}/send?key=1"))
    assert delivery.status == "failed"
    assert delivery.last_error == "群机器人域名 localhost 解析到本机地址（127.0.0.1），已拒绝发送"
    assert robot.connections == 0


def test_a_url_stored_before_the_rules_is_checked_again_when_sent(app, session, robot):
    delivery = send_now(app, session, robot_delivery(app, session, f"http://127.0.0.1:{robot.port}/send"))
    assert delivery.status == "failed"
    assert delivery.last_error == "群机器人地址的主机不能使用 IP 地址，请填写域名"
    assert robot.connections == 0


def test_the_connection_goes_to_the_address_checked_without_a_second_lookup(app, session, robot, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TEST_HOSTS", ("robot.test",))
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host != "robot.test":
            return real(host, port, *args, **kwargs)  # numeric addresses pass straight through
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"  # the name changes at once
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    delivery = send_now(app, session, robot_delivery(app, session, f"http://robot.test:{robot.port}/send?key=1"))
    assert delivery.status == "sent"
    assert lookups == ["robot.test"]
    assert robot.received[0]["text"]["content"].startswith("【楼宇招商通】")


def test_a_redirect_is_not_followed(app, session, robot):
    elsewhere = {"hits": 0}

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self):
            elsewhere["hits"] += 1
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server, port = serve(Elsewhere)
    try:
        robot.status, robot.location = 302, f"http://localhost:{port}/internal"
        delivery = send_now(app, session, robot_delivery(app, session, robot.url))
    finally:
        server.shutdown()
        server.server_close()
    assert delivery.status == "failed"
    assert delivery.last_error == "群机器人返回 HTTP 302（重定向，未跟随；请检查地址）"
    assert elsewhere["hits"] == 0


@pytest.mark.parametrize(
    "status, answer, shown",
    [
        (500, b"root:x:0:0:root:/root:/bin/bash SECRET", "群机器人返回 HTTP 500"),
        (404, b'{"errcode": 404, "errmsg": "SECRET internal page"}', "群机器人返回 HTTP 404"),
        (
            200,
            b'{"errcode": 93000, "errmsg": "invalid webhook url, SECRET"}',
            "群机器人拒绝了消息（错误码 93000：Webhook 地址无效或已失效）",
        ),
        (200, b'{"errcode": "SECRET-as-code", "errmsg": "x"}', "群机器人拒绝了消息"),
        (200, b'{"errcode": 7, "errmsg": "SECRET"}', "群机器人拒绝了消息（错误码 7）"),
    ],
)
def test_the_admin_sees_a_status_and_a_reason_never_the_answer(app, session, robot, login, status, answer, shown):
    robot.status, robot.answer = status, answer
    delivery = send_now(app, session, robot_delivery(app, session, robot.url))
    assert delivery.status == "failed"
    assert delivery.last_error == shown
    make_user(session, "boss", "admin")
    session.commit()
    client = login("boss", password="pw-for-tests-123")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert shown in page and "SECRET" not in page
