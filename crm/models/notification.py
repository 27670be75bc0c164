"""Reminders that arrive exactly once: the outbox, its deliveries, in-app notifications, job runs.

A reminder is recorded (unique on kind, object, recipient and due date or period) *before*
anything is sent, in the same transaction as its in-app notification and its pending deliveries.
Senders then claim deliveries one small batch at a time with a conditional UPDATE, so two
scheduler processes never send the same delivery, and a sender that dies after claiming leaves a
claim that is taken over (dead process on this host, or a claim older than the timeout) — retried,
not lost.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

# Delivery statuses. ``failed`` will be retried at next_attempt_at; ``dead`` gave up;
# ``skipped`` could never be sent (no address) — the three an admin is shown.
PENDING, SENDING, SENT, FAILED, DEAD, SKIPPED = "pending", "sending", "sent", "failed", "dead", "skipped"
DELIVERY_STATUSES = {
    PENDING: "待发送",
    SENDING: "发送中",
    SENT: "已发送",
    FAILED: "失败待重试",
    DEAD: "已放弃",
    SKIPPED: "无法发送",
}
CHANNELS = {"email": "邮件", "webhook": "群机器人"}

# Job run outcomes.
RUNNING, OK, JOB_FAILED = "running", "ok", "failed"
JOB_OUTCOMES = {RUNNING: "运行中", OK: "成功", JOB_FAILED: "失败"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Reminder(db.Model):
    """One thing to tell one person once: the outbox row every channel delivers from."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_key: Mapped[str] = mapped_column(String(16))  # the due date (ISO) or period (YYYY-MM[#step])
    title: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    # An item (one lease crossing one threshold) is delivered inside its recipient's digest of
    # the day: its own row keeps it unique, the digest carries the notification and deliveries.
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recipient = relationship("User")
    deliveries = relationship("Delivery", back_populates="reminder", order_by="Delivery.id")

    __table_args__ = (
        UniqueConstraint("kind", "object_type", "object_id", "recipient_id", "due_key", name="uq_reminders_key"),
    )


class Notification(db.Model):
    """The in-app copy of a reminder (or any other notice): what, about which object, when."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id", ondelete="SET NULL"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The bell counts unread rows of one user on every page: this index answers it alone.
    __table_args__ = (Index("ix_notifications_recipient_read", "recipient_id", "read_at"),)


class Delivery(db.Model):
    """One channel's attempt(s) to deliver one reminder; claimed before it is sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    target: Mapped[str] = mapped_column(String(500))  # address, or webhook URL
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # host:pid:token of the sender
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    reminder = relationship("Reminder", back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("reminder_id", "channel", "target", name="uq_deliveries_reminder_channel_target"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )


class JobRun(db.Model):
    """A scheduled job's run for one date or period: unique, so nothing runs twice."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    run_key: Mapped[str] = mapped_column(String(16))  # YYYY-MM-DD or YYYY-MM
    outcome: Mapped[str] = mapped_column(String(16), default=RUNNING)
    detail: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(String(100))  # host:pid that ran it
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("job", "run_key", name="uq_job_runs_job_run_key"),
        Index("ix_job_runs_started_at", "started_at"),
    )


class ChannelSetting(db.Model):
    """A user's channel choices; no row means the defaults (e-mail on)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class RoleWebhook(db.Model):
    """An admin-set group-chat robot (企业微信 / 钉钉) that receives the reminders of one role."""

    __tablename__ = "role_webhooks"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
