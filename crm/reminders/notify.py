"""Recording reminders exactly once, and the in-app side of notifications.

``record`` writes each due reminder with ``INSERT … ON CONFLICT DO NOTHING`` on its unique key
(kind, object, recipient, due date/period), and — only for the rows it really inserted — the
in-app notification and one pending delivery per outside channel, all in the caller's
transaction. A second process, a second tick or a restarted job therefore records nothing twice,
and nothing is sent that was not recorded first (``crm.reminders`` sends from these rows).

Also here: reading and marking notifications, a user's channel settings, role webhooks, and the
deliveries an admin should look at.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from crm.models import ChannelSetting, Delivery, Notification, Reminder, RoleWebhook, Setting, User
from crm.models.choices import ROLES
from crm.models.notification import DEAD, FAILED, PENDING, SKIPPED
from crm.models.setting import all_settings
from crm.reminders import robot_urls
from crm.services.errors import DomainError, NotFound
from crm.reminders.agenda import Due, Item, Person, lease_digest

CHUNK = 500
SIGNATURE = "楼宇招商通 · 西岗区商务局（本邮件由系统自动发送，请勿直接回复）"
NO_EMAIL = "用户没有填写邮箱地址，邮件无法发送"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------------------------
# Text of a reminder: plain text (in-app, e-mail, webhook) and HTML (e-mail)


def absolute(link: str | None, base_url: str) -> str | None:
    if not link:
        return None
    return f"{base_url}{link}" if base_url else link


def render_text(due: Due, base_url: str = "") -> str:
    parts = [due.intro] if due.intro else []
    for s in due.sections:
        lines = [f"【{s.heading}】（{s.total}）"]
        lines += [f"· {line.text}" for line in s.lines]
        if s.total > len(s.lines):
            lines.append(f"……另有 {s.total - len(s.lines)} 项，请登录系统查看。")
        parts.append("\n".join(lines))
    if due.link:
        parts.append(f"查看：{absolute(due.link, base_url)}")
    return "\n\n".join(parts)


def render_html(due: Due, base_url: str = "") -> str:
    def link(text: str, href: str | None) -> str:
        target = absolute(href, base_url)
        if not target:
            return html.escape(text)
        return f'<a href="{html.escape(target)}">{html.escape(text)}</a>'

    out = [
        '<div style="font-family: sans-serif; font-size: 14px; color: #212529">',
        f'<h2 style="font-size: 16px">{html.escape(due.title)}</h2>',
    ]
    if due.intro:
        out.append(f"<p>{html.escape(due.intro)}</p>")
    for s in due.sections:
        out.append(
            f'<h3 style="font-size: 15px; margin-bottom: 4px">{html.escape(s.heading)}'
            f'<span style="color: #6c757d">（{s.total}）</span></h3><ul>'
        )
        out += [f"<li>{link(line.text, line.link)}</li>" for line in s.lines]
        if s.total > len(s.lines):
            out.append(f"<li>……另有 {s.total - len(s.lines)} 项，请登录系统查看。</li>")
        out.append("</ul>")
    if due.link:
        out.append(f"<p>{link('在系统中查看', due.link)}</p>")
    out.append(f'<p style="color: #6c757d; font-size: 12px">{html.escape(SIGNATURE)}</p></div>')
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Recording


@dataclass(frozen=True)
class Channels:
    """Where a user's reminders go besides the app: e-mail (status, target, error) and webhook."""

    email: tuple[str, str, str | None] | None
    webhook: str | None


def channels_for(session, recipient_ids, email_configured: bool) -> dict[int, Channels]:
    """Each recipient's outside channels, read in two queries."""
    rows = session.execute(
        select(User.id, User.role, User.email, ChannelSetting.email_enabled)
        .outerjoin(ChannelSetting, ChannelSetting.user_id == User.id)
        .where(User.id.in_(list(recipient_ids)))
    ).all()
    hooks = {h.role: h.url for h in session.scalars(select(RoleWebhook).where(RoleWebhook.enabled.is_(True)))}
    result = {}
    for r in rows:
        email = None
        if email_configured and r.email_enabled is not False:
            address = (r.email or "").strip()
            email = (PENDING, address, None) if address else (SKIPPED, "", NO_EMAIL)
        result[r.id] = Channels(email=email, webhook=hooks.get(r.role))
    return result


def _insert_ignoring_duplicates(session, rows: list[dict]) -> list[tuple]:
    """Insert reminders, skipping keys already recorded; return (id, key…) of the new rows."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # Parameters as a list (executemany): compiled once and sent in batches, where a VALUES list
    # of hundreds of rows would take seconds to compile.
    stmt = (
        insert(Reminder)
        .on_conflict_do_nothing(index_elements=["kind", "object_type", "object_id", "recipient_id", "due_key"])
        .returning(
            Reminder.id,
            Reminder.kind,
            Reminder.object_type,
            Reminder.object_id,
            Reminder.recipient_id,
            Reminder.due_key,
        )
    )
    return [tuple(r) for r in session.execute(stmt, rows)] if rows else []


def record(session, dues: list[Due], *, email_configured: bool, base_url: str = "") -> list[int]:
    """Record reminders not recorded before, with notification and deliveries; return new ids."""
    if not dues:
        return []
    now = utcnow()
    by_key = {due.key: due for due in dues}
    rows = [
        dict(
            kind=d.kind,
            object_type=d.object_type,
            object_id=d.object_id,
            recipient_id=d.recipient_id,
            due_key=d.due_key,
            title=d.title,
            body_text=render_text(d, base_url),
            body_html=render_html(d, base_url),
            link=d.link,
            attachment_name=d.attachment_name,
            attachment=d.attachment,
            created_at=now,
        )
        for d in by_key.values()
    ]
    new = _insert_ignoring_duplicates(session, rows)
    if not new:
        return []
    channels = channels_for(session, {r[4] for r in new}, email_configured)
    notifications, deliveries = [], []
    for reminder_id, *key in new:
        due = by_key[tuple(key)]
        notifications.append(
            dict(
                recipient_id=due.recipient_id,
                reminder_id=reminder_id,
                kind=due.kind,
                title=due.title,
                body=render_text(due),
                link=due.link,
                created_at=now,
            )
        )
        ways = channels.get(due.recipient_id)
        if ways and ways.email:
            status, target, error = ways.email
            deliveries.append(
                dict(
                    reminder_id=reminder_id,
                    channel="email",
                    target=target,
                    status=status,
                    attempts=0,
                    next_attempt_at=now,
                    last_error=error,
                    created_at=now,
                )
            )
        if ways and ways.webhook:
            deliveries.append(
                dict(
                    reminder_id=reminder_id,
                    channel="webhook",
                    target=ways.webhook,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    from sqlalchemy import insert

    for start in range(0, len(notifications), CHUNK):
        session.execute(insert(Notification), notifications[start : start + CHUNK])
    for start in range(0, len(deliveries), CHUNK):
        session.execute(insert(Delivery), deliveries[start : start + CHUNK])
    session.flush()
    return [r[0] for r in new]


def record_items_in_digests(
    session, items: list[Item], day, everyone: dict[int, Person], *, email_configured: bool, base_url: str = ""
) -> list[int]:
    """Record items (unique each) and, per recipient, one digest of the items new today.

    The items carry no notification or delivery of their own: the digest does, and points to
    them (``digest_id``) so the admin can see which digest told whom about which lease.
    """
    if not items:
        return []
    now = utcnow()
    by_key = {item.key: item for item in items}
    rows = [
        dict(
            kind=i.kind,
            object_type=i.object_type,
            object_id=i.object_id,
            recipient_id=i.recipient_id,
            due_key=i.due_key,
            title=i.line.text[:200],
            body_text=i.line.text,
            link=i.line.link,
            created_at=now,
        )
        for i in by_key.values()
    ]
    new = _insert_ignoring_duplicates(session, rows)
    fresh: dict[int, list[tuple[int, Item]]] = {}
    for reminder_id, *key in new:
        item = by_key[tuple(key)]
        fresh.setdefault(item.recipient_id, []).append((reminder_id, item))
    digest_ids = []
    for recipient_id, pairs in sorted(fresh.items()):
        digest = lease_digest(recipient_id, day, [item for _, item in pairs], everyone)
        ids = record(session, [digest], email_configured=email_configured, base_url=base_url)
        if not ids:
            # Today's digest was already recorded (an earlier run): attach the new items to it.
            ids = [
                session.scalar(
                    select(Reminder.id).where(
                        Reminder.kind == digest.kind,
                        Reminder.object_type == digest.object_type,
                        Reminder.object_id == digest.object_id,
                        Reminder.recipient_id == recipient_id,
                        Reminder.due_key == digest.due_key,
                    )
                )
            ]
        else:
            digest_ids += ids
        session.execute(update(Reminder).where(Reminder.id.in_([rid for rid, _ in pairs])).values(digest_id=ids[0]))
    session.flush()
    return digest_ids


# --------------------------------------------------------------------------------------------
# In-app notifications


def unread_count(session, user_id: int) -> int:
    """The bell: one indexed count."""
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.recipient_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def notifications_page(session, user_id: int, page: int, per_page: int, unread_only: bool = False):
    """(notifications of a page, newest first; total count)."""
    stmt = select(Notification).where(Notification.recipient_id == user_id)
    count = select(func.count(Notification.id)).where(Notification.recipient_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
        count = count.where(Notification.read_at.is_(None))
    rows = session.scalars(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return rows, session.scalar(count) or 0


def mark_read(session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; another user's is not found."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user_id:
        raise NotFound("通知不存在")
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session, user_id: int) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    session.flush()
    return result.rowcount or 0


def notify(session, recipient_id: int, kind: str, title: str, body: str, link: str | None = None) -> Notification:
    """An in-app notification on its own (no outbox), for other features that tell someone."""
    notification = Notification(recipient_id=recipient_id, kind=kind, title=title, body=body, link=link)
    session.add(notification)
    session.flush()
    return notification


# --------------------------------------------------------------------------------------------
# Settings


def email_enabled(session, user_id: int) -> bool:
    setting = session.get(ChannelSetting, user_id)
    return True if setting is None else setting.email_enabled


def set_email_enabled(session, user_id: int, enabled: bool) -> None:
    setting = session.get(ChannelSetting, user_id)
    if setting is None:
        session.add(ChannelSetting(user_id=user_id, email_enabled=enabled))
    else:
        setting.email_enabled = enabled
    session.flush()


def role_webhooks(session) -> dict[str, RoleWebhook]:
    return {h.role: h for h in session.scalars(select(RoleWebhook))}


def robot_hosts(session) -> tuple[str, ...]:
    """The hosts group-robot URLs may point at (the admin's allowlist, 企业微信 and 钉钉 by default)."""
    return robot_urls.stored_hosts(all_settings(session).get(robot_urls.SETTING_KEY))


def set_robot_hosts(session, text: str | None) -> tuple[str, ...]:
    """Store the admin's allowlist of robot hosts (empty: the default hosts); returns it."""
    hosts = robot_urls.parse_hosts(text)
    value = robot_urls.hosts_text(hosts)
    if len(value) > 500:
        raise DomainError("允许的机器人域名合计最长 500 个字符", field=robot_urls.SETTING_KEY)
    row = session.get(Setting, robot_urls.SETTING_KEY)
    if row is None:
        if hosts != robot_urls.DEFAULT_HOSTS:  # the defaults need no row (nor a new settings version)
            session.add(Setting(key=robot_urls.SETTING_KEY, value=value))
    elif row.value != value:
        row.value = value
    session.flush()
    return hosts


def set_role_webhook(session, role: str, url: str, test_hosts=()) -> None:
    """Set (or with an empty URL remove) the group robot of a role; the URL must pass the robot
    rules of ``crm.reminders.robot_urls`` against the stored allowlist."""
    if role not in ROLES:
        raise DomainError(f"角色 {role!r} 不存在", field=f"webhook_{role}")
    url = (url or "").strip()
    hook = session.get(RoleWebhook, role)
    if not url:
        if hook is not None:
            session.delete(hook)
            session.flush()
        return
    try:
        robot_urls.check_url(url, robot_hosts(session), test_hosts)
    except robot_urls.RobotUrlRefused as refused:
        raise DomainError(refused.message, field=f"webhook_{role}") from None
    if hook is None:
        session.add(RoleWebhook(role=role, url=url, enabled=True))
    else:
        hook.url = url
        hook.enabled = True
    session.flush()


# --------------------------------------------------------------------------------------------
# What admins look at


def troubled_deliveries(session, limit: int = 200):
    """Deliveries that failed (retrying), gave up or could not be sent, newest first, with counts."""
    statuses = (FAILED, DEAD, SKIPPED)
    rows = session.execute(
        select(Delivery, Reminder.title, Reminder.kind, User.display_name, User.username)
        .join(Reminder, Reminder.id == Delivery.reminder_id)
        .join(User, User.id == Reminder.recipient_id)
        .where(Delivery.status.in_(statuses))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    ).all()
    counts = dict(session.execute(select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status)).all())
    return rows, counts


def retry_delivery(session, delivery_id: int) -> Delivery:
    """An admin's "retry now": a failed or abandoned delivery is due again at once."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("投递记录不存在")
    if delivery.status not in (FAILED, DEAD):
        raise DomainError("只有发送失败的投递可以重试")
    delivery.status = PENDING
    delivery.next_attempt_at = utcnow()
    session.flush()
    return delivery
