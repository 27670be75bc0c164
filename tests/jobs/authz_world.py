"""Builder for the authorization matrix (tests/authz_table.py): an admin's notification and a
failed delivery, so the mark-read and retry routes have objects to act on."""

from __future__ import annotations

from crm.models import Delivery, Notification, Reminder


def authz_reminders_world(session, world) -> dict:
    admin = world["users"]["admin"]
    notification = Notification(
        recipient_id=admin.id, kind="escalation", title="逾期事项汇总", body="…", link="/followups"
    )
    reminder = Reminder(
        kind="escalation",
        object_type="user",
        object_id=str(admin.id),
        recipient_id=admin.id,
        due_key="2026-11-16",
        title="逾期事项汇总",
        body_text="…",
    )
    session.add_all([notification, reminder])
    session.flush()
    delivery = Delivery(
        reminder_id=reminder.id,
        channel="email",
        target="admin@xigang.example",
        status="failed",
        attempts=1,
        last_error="邮件服务器拒收",
    )
    session.add(delivery)
    session.flush()
    return {"notification": notification.id, "delivery": delivery.id}
