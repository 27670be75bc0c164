"""Sign-in and sign-out."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from crm.extensions import db
from crm.forms.auth import LoginForm
from crm.permissions import PUBLIC, allow
from crm.accounts.sessions import start_session
from crm.web.security import safe_redirect_target
from crm.accounts.signin import sign_in

bp = Blueprint("auth", __name__)
log = logging.getLogger("crm.auth")


def after_sign_in() -> str:
    return safe_redirect_target(request.args.get("next"), url_for("dashboard.index"))


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    if current_user.is_authenticated:
        return redirect(after_sign_in())
    form = LoginForm()
    if form.validate_on_submit():
        address, agent = request.remote_addr, request.headers.get("User-Agent")
        result = sign_in(db.session, form.username.data, form.password.data, address, agent)
        db.session.commit()  # the attempt is recorded whether or not it succeeded
        if result.throttled_minutes:
            log.warning("sign-in throttled username=%s addr=%s", form.username.data, address)
            flash(f"登录失败次数过多，请 {result.throttled_minutes} 分钟后再试", "danger")
        elif result.user is None:
            log.info("sign-in failed username=%s addr=%s agent=%s", form.username.data, address, agent)
            flash("用户名或密码不正确", "danger")
        else:
            session.clear()  # nothing from before sign-in survives it
            login_user(result.user, remember=form.remember.data)
            start_session()
            log.info("sign-in ok username=%s addr=%s agent=%s", result.user.username, address, agent)
            return redirect(after_sign_in())
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(PUBLIC)
def logout():
    """POST only, with the CSRF token of the menu's form: a foreign page cannot sign anyone out."""
    if current_user.is_authenticated:
        # Sign-out ends every copy of this user's session cookie and remember-me cookie.
        current_user.end_all_sessions()
        db.session.commit()  # nothing can refuse this; saved before the cookie is forgotten
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))
