"""Notifications (站内通知): the list, marking read, and the bell on every page."""

from __future__ import annotations

from datetime import timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.extensions import db
from crm.permissions import allow
from crm.web.security import safe_redirect_target
from crm.reminders import notify
from crm.services.periods import BUSINESS_TZ
from crm.web.params import page_number
from crm.web.transaction import transaction

bp = Blueprint("notifications", __name__)

PER_PAGE = 30
KIND_LABELS = {
    "followup_digest": "跟进提醒",
    "lease_digest": "租约到期",
    "escalation": "逾期督办",
    "confirm_month": "月度填报",
    "confirm_late": "填报逾期",
    "briefing": "月度简报",
}


@bp.route("/notifications")
@allow("notifications.view")
def index():
    unread_only = request.args.get("unread") == "1"
    page = page_number()
    rows, total = notify.notifications_page(db.session, current_user.id, page, PER_PAGE, unread_only)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template(
        "notifications/index.html",
        notifications=rows,
        total=total,
        page=page,
        pages=pages,
        unread_only=unread_only,
        kind_labels=KIND_LABELS,
    )


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@allow("notifications.view")
def mark_read(notification_id):
    with transaction(show=False) as saved:
        notification = notify.mark_read(db.session, current_user.id, notification_id)
    if not saved:  # the only refusal: not the user's notification, or none
        abort(404)
    if request.form.get("open") and notification.link:
        return redirect(safe_redirect_target(notification.link, _back()))
    return redirect(_back())


@bp.route("/notifications/read-all", methods=["POST"])
@allow("notifications.view")
def mark_all_read():
    with transaction(reraise=True):
        count = notify.mark_all_read(db.session, current_user.id)
    flash(f"已将 {count} 条通知标为已读" if count else "没有未读通知", "success")
    return redirect(_back())


def _back() -> str:
    return safe_redirect_target(request.form.get("next"), url_for("notifications.index"))


def local_datetime(value) -> str:
    """A UTC timestamp as Asia/Shanghai wall time, e.g. 2026-11-16 08:30."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def init_app(app) -> None:
    """The bell: the signed-in user's unread count, one indexed query on pages that render."""
    app.jinja_env.filters["local_datetime"] = local_datetime

    @app.context_processor
    def notification_bell():
        if not current_user.is_authenticated:
            return {"unread_notifications": 0}
        return {"unread_notifications": notify.unread_count(db.session, current_user.id)}
