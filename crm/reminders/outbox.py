"""The outbox loop: claim due deliveries, send them, record the outcome — never twice.

A sender claims a small batch with a conditional UPDATE (status pending/failed → sending, its own
token) and commits before any network I/O, so two processes never hold the same delivery and no
database lock is held while a mail server or robot is slow. After each send the outcome is
committed at once. A claim whose process died (same host, pid gone) or that is older than
``CLAIM_TIMEOUT`` (another host) is released and retried: a crash between recording and sending
delays a reminder, it never loses it.

Failures back off (1, 5, 15, 60, 240 minutes); after ``MAX_ATTEMPTS`` the delivery is ``dead``.
Every failure keeps its last error for the admin page, and one failing channel or recipient
never stops the others.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from crm.reminders import webhook
from crm.reminders.email import DeliveryError, SmtpSender, build_message
from crm.models import Delivery, Reminder
from crm.models.notification import DEAD, FAILED, PENDING, SENDING, SENT
from crm.reminders import notify

log = logging.getLogger("crm.reminders")

BACKOFF_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 10
# Test-only: exit abruptly (as a kill would) after this many sends, holding a claimed batch.
CRASH_ENV = "CRM_TEST_CRASH_AFTER_SENDS"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: dead for our purpose
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def claim_abandoned(claimed_by: str | None, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether a claim belongs to a sender that is gone (dead on this host, or timed out)."""
    if claimed_at is None or claimed_by is None:
        return True
    if claimed_at.tzinfo is None:
        claimed_at = claimed_at.replace(tzinfo=timezone.utc)
    if now - claimed_at > CLAIM_TIMEOUT:
        return True
    host, _, rest = claimed_by.partition(":")
    pid = rest.split(":", 1)[0]
    if host == socket.gethostname() and pid.isdigit():
        return not _pid_alive(int(pid))
    return False


@dataclass
class Claimed:
    id: int
    channel: str
    target: str
    attempts: int
    title: str
    text: str
    html: str | None
    attachment_name: str | None
    attachment: bytes | None


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"发送 {self.sent}，失败 {self.failed}，放弃 {self.dead}"
        if self.released:
            text += f"，接管中断的投递 {self.released}"
        return text


def release_abandoned(session) -> int:
    """Put deliveries claimed by a dead or timed-out sender back in the queue."""
    now = utcnow()
    rows = session.execute(
        select(Delivery.id, Delivery.claimed_by, Delivery.claimed_at).where(Delivery.status == SENDING)
    ).all()
    released = 0
    for row in rows:
        if claim_abandoned(row.claimed_by, row.claimed_at, now):
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == row.id, Delivery.status == SENDING, Delivery.claimed_by == row.claimed_by)
                .values(
                    status=FAILED,
                    next_attempt_at=now,
                    claimed_by=None,
                    last_error="发送进程中断（未确认发出），已重新排队",
                )
            )
            released += result.rowcount or 0
    session.commit()
    return released


def claim_batch(session, size: int = BATCH) -> tuple[list[Claimed], bool]:
    """Claim up to ``size`` due deliveries; (claimed, whether any were due at all)."""
    now = utcnow()
    due = (Delivery.status.in_((PENDING, FAILED)), Delivery.next_attempt_at <= now)
    ids = session.scalars(select(Delivery.id).where(*due).order_by(Delivery.id).limit(size)).all()
    if not ids:
        session.commit()
        return [], False
    token = f"{runner_id()}:{uuid.uuid4().hex[:8]}"
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), *due)
        .values(status=SENDING, claimed_by=token, claimed_at=now, attempts=Delivery.attempts + 1)
    )
    session.commit()
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.channel,
            Delivery.target,
            Delivery.attempts,
            Reminder.title,
            Reminder.body_text,
            Reminder.body_html,
            Reminder.attachment_name,
            Reminder.attachment,
        )
        .join(Reminder, Reminder.id == Delivery.reminder_id)
        .where(Delivery.claimed_by == token, Delivery.status == SENDING)
        .order_by(Delivery.id)
    ).all()
    session.commit()  # no transaction stays open while we talk to the network
    return [
        Claimed(
            r.id,
            r.channel,
            r.target,
            r.attempts,
            r.title,
            r.body_text,
            r.body_html,
            r.attachment_name,
            None if r.attachment is None else bytes(r.attachment),
        )
        for r in rows
    ], True


def send(claimed: Claimed, config, smtp: SmtpSender | None, robot_hosts: tuple[str, ...] = ()) -> None:
    """Deliver one claimed delivery over its channel; raise DeliveryError on failure.
    ``robot_hosts`` is the admin's allowlist of group-robot hosts."""
    if claimed.channel == "email":
        if smtp is None:
            raise DeliveryError("未配置邮件服务器（CRM_SMTP_HOST），邮件无法发送")
        message = build_message(
            smtp.sender,
            claimed.target,
            claimed.title,
            claimed.text,
            claimed.html,
            claimed.id,
            claimed.attachment_name,
            claimed.attachment,
        )
        smtp.send(message)
    elif claimed.channel == "webhook":
        webhook.post(
            claimed.target,
            claimed.title,
            claimed.text,
            float(config.get("WEBHOOK_TIMEOUT") or 5),
            robot_hosts,
            config.get("WEBHOOK_TEST_HOSTS") or (),
        )
    else:
        raise DeliveryError(f"未知的发送渠道 {claimed.channel}")


def record_outcome(session, claimed: Claimed, error: str | None) -> str:
    now = utcnow()
    if error is None:
        values = dict(status=SENT, sent_at=now, last_error=None, claimed_by=None)
    elif claimed.attempts >= MAX_ATTEMPTS:
        values = dict(status=DEAD, last_error=error, claimed_by=None)
    else:
        wait = BACKOFF_MINUTES[min(claimed.attempts, len(BACKOFF_MINUTES)) - 1]
        values = dict(status=FAILED, last_error=error, claimed_by=None, next_attempt_at=now + timedelta(minutes=wait))
    session.execute(update(Delivery).where(Delivery.id == claimed.id, Delivery.status == SENDING).values(**values))
    session.commit()
    return values["status"]


def deliver_due(session, config) -> Stats:
    """Send every delivery due now, batch by batch, until none is left; return what happened."""
    stats = Stats(released=release_abandoned(session))
    smtp = SmtpSender(config) if config.get("SMTP_HOST") else None
    robot_hosts = notify.robot_hosts(session)
    session.commit()  # no transaction stays open while we talk to the network
    crash_after = int(os.environ.get(CRASH_ENV) or 0)
    try:
        while True:
            batch, any_due = claim_batch(session)
            if not any_due:
                break
            for claimed in batch:
                if crash_after and stats.sent >= crash_after:
                    os._exit(137)  # the test's stand-in for SIGKILL: claimed, not sent, not committed
                try:
                    send(claimed, config, smtp, robot_hosts)
                    error = None
                except DeliveryError as failure:
                    error = str(failure)
                except Exception as failure:  # one broken delivery must not stop the others
                    log.exception("delivery %s failed unexpectedly", claimed.id)
                    error = f"{type(failure).__name__}: {failure}"
                status = record_outcome(session, claimed, error)
                if status == SENT:
                    stats.sent += 1
                elif status == DEAD:
                    stats.dead += 1
                else:
                    stats.failed += 1
                if error:
                    stats.errors.append(error)
                    log.warning("delivery %s (%s) failed: %s", claimed.id, claimed.channel, error)
    finally:
        if smtp is not None:
            smtp.close()
    return stats
