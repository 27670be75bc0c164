"""Fixtures for the reminder jobs: a real SMTP server (aiosmtpd) and a local webhook robot, both
on 127.0.0.1 in this process, and helpers that build who-is-due data by hand."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert

from crm.models import Lead, User


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the SMTP server received; recipients in ``refuse`` get 550 at RCPT."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, seconds: float = 5.0) -> None:
        """The server stores a message just after answering 250: let the handler thread finish."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture()
def mailbox():
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture()
def smtp(app, mailbox, monkeypatch):
    """The app configured to send through the test SMTP server."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", mailbox.port)
    monkeypatch.setitem(app.config, "SMTP_TLS", "none")
    monkeypatch.setitem(app.config, "SMTP_FROM", "楼宇招商通 <crm@xigang.example>")
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    return mailbox


class Robot:
    """A group-chat robot stand-in: answers ``status`` (and errcode 0), or hangs ``hang`` seconds;
    ``answer`` replaces the JSON it answers with, ``location`` makes it redirect there."""

    def __init__(self):
        self.status = 200
        self.hang = 0.0
        self.answer: bytes | None = None
        self.location: str | None = None
        self.received: list[dict] = []
        self.connections = 0
        self.release = threading.Event()


def serve(handler) -> tuple[ThreadingHTTPServer, int]:
    """An HTTP server on 127.0.0.1 and a port the system picked, serving in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture()
def robot(app, monkeypatch):
    """A robot on this machine, reachable as ``localhost`` because the test allowlists that name
    (``WEBHOOK_TEST_HOSTS``); no other local address is reachable."""
    bot = Robot()

    class Handler(BaseHTTPRequestHandler):
        def setup(self):
            bot.connections += 1
            super().setup()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if bot.hang:
                bot.release.wait(bot.hang)
                return
            bot.received.append(json.loads(body))
            answer = bot.answer or json.dumps({"errcode": 0 if bot.status == 200 else 500, "errmsg": "ok"}).encode()
            self.send_response(bot.status)
            if bot.location:
                self.send_header("Location", bot.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server, port = serve(Handler)
    monkeypatch.setitem(app.config, "WEBHOOK_TEST_HOSTS", ("localhost",))
    bot.port = port
    bot.url = f"http://localhost:{port}/cgi-bin/webhook/send?key=test"
    yield bot
    bot.release.set()
    server.shutdown()
    server.server_close()


def make_user(session, username, role, email=True, active=True, buildings=()):
    user = User(
        username=username,
        role=role,
        display_name=f"{username}姓名",
        email=f"{username}@xigang.example" if email else None,
        active=active,
        buildings=list(buildings),
    )
    user.set_password("pw-for-tests-123")
    session.add(user)
    session.flush()
    return user


def make_lead(session, owner, name, created_on, next_on=None, last_on=None, stage="contact"):
    lead = Lead(
        company_name=name,
        source="上门",
        owner_id=owner.id,
        stage=stage,
        created_on=created_on,
        next_followup_on=next_on,
        last_followup_on=last_on,
    )
    session.add(lead)
    session.flush()
    return lead


def promoters_with_one_due_lead(session, count: int, day: date) -> None:
    """``count`` promoters, each with one lead due on ``day``: exactly ``count`` digests due."""
    session.execute(
        insert(User),
        [
            dict(
                username=f"p{i:03d}",
                role="promoter",
                display_name=f"专员{i:03d}",
                email=f"p{i:03d}@xigang.example",
                password_hash="x",
                active=True,
                session_token=f"token-{i:03d}",
            )
            for i in range(count)
        ],
    )
    ids = dict(session.execute(User.__table__.select().with_only_columns(User.username, User.id)).all())
    session.execute(
        insert(Lead),
        [
            dict(
                company_name=f"待跟进企业{i:03d}",
                source="上门",
                owner_id=ids[f"p{i:03d}"],
                stage="contact",
                created_on=day - timedelta(days=2),
                next_followup_on=day,
                last_followup_on=day - timedelta(days=1),
                hq_type="none",
                priority="normal",
                is_demo=False,
                version=1,
            )
            for i in range(count)
        ],
    )
    session.commit()
