"""A user's reminder channels: in-app always, e-mail on or off."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from crm.extensions import db
from crm.forms.notifications import ChannelsForm
from crm.permissions import allow
from crm.reminders import notify
from crm.web.transaction import transaction

bp = Blueprint("user_settings", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@allow("notifications.view")
def channels():
    form = ChannelsForm()
    if form.validate_on_submit():
        with transaction(reraise=True):
            notify.set_email_enabled(db.session, current_user.id, form.email_enabled.data)
        flash("提醒设置已保存", "success")
        return redirect(url_for("user_settings.channels"))
    if not form.is_submitted():
        form.email_enabled.data = notify.email_enabled(db.session, current_user.id)
    hook = notify.role_webhooks(db.session).get(current_user.role)
    return render_template(
        "notifications/settings.html",
        form=form,
        email=current_user.email,
        email_configured=bool(current_app.config.get("SMTP_HOST")),
        role_hook=hook if hook and hook.enabled else None,
    )
