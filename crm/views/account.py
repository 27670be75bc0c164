"""A user's own account: changing the password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user

from crm.extensions import db
from crm.forms.account import PasswordChangeForm, TokenForm
from crm.permissions import allow
from crm.accounts.sessions import start_session
from crm.accounts.tokens import create_token, revoke_token, user_tokens
from crm.accounts.passwords import change_own_password
from crm.web.transaction import transaction

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
@allow("account.self")
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        with transaction(form, default_field="new_password") as saved:
            change_own_password(db.session, current_user, form.current_password.data, form.new_password.data)
        if saved:
            # Every other copy of the old session is now void; this browser gets a new one.
            session.clear()
            login_user(current_user._get_current_object())
            start_session()
            flash("密码已修改，其他设备上的登录和您的 API 令牌已失效", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("account/password.html", form=form)


@bp.route("/tokens", methods=["GET", "POST"])
@allow("account.self")
def tokens():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        with transaction(form, default_field="name") as saved:
            token, secret = create_token(db.session, current_user, form.name.data, form.days.data or 0)
        if saved:
            flash(f"已创建令牌“{token.name}”。请立即复制保存：离开本页后将无法再次查看。", "warning")
    return render_template(
        "account/tokens.html", form=form, secret=secret, tokens=user_tokens(db.session, current_user)
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@allow("account.self")
def revoke(token_id):
    with transaction() as saved:
        revoke_token(db.session, current_user, token_id)
    if saved:
        flash("令牌已吊销", "success")
    return redirect(url_for("account.tokens"))
