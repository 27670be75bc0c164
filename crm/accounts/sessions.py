"""Sessions: idle and absolute timeouts, and the password change an admin's reset forces.

Sessions end after ``CRM_IDLE_MINUTES`` (30) without a request and ``CRM_SESSION_HOURS`` (12)
after sign-in, whichever comes first. The session cookie carries the user's server-side session
token (see ``User.get_id``), so sign-out, a password change or deactivation ends every copy of it.
A request signed in with a personal API token has no session; it is refused while its owner must
still choose a new password.
"""

from __future__ import annotations

import time

from flask import flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user

MUST_CHANGE_PASSWORD_FOR_TOKEN = "该账号的密码已由管理员重置：请先在网页上登录并设置新密码，再使用 API 令牌"

EXEMPT_ENDPOINTS = {"static", "auth.login", "auth.logout", "account.password"}


def start_session() -> None:
    """Called on sign-in, after the old session was cleared."""
    now = int(time.time())
    session["started_at"] = now
    session["seen_at"] = now


def _session_expired(app) -> bool:
    now = int(time.time())
    started = session.get("started_at")
    seen = session.get("seen_at")
    if started is None or seen is None:
        # Restored from the remember-me cookie: a fresh session within the cookie's lifetime.
        start_session()
        return False
    if now - seen > app.config["IDLE_TIMEOUT_SECONDS"] or now - started > app.config["ABSOLUTE_TIMEOUT_SECONDS"]:
        return True
    session["seen_at"] = now
    return False


def init_app(app) -> None:
    @app.before_request
    def enforce_session_rules():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        if g.get("api_token_auth"):
            if current_user.must_change_password:
                # A token may not skip the new password its owner has to choose first.
                return {"error": MUST_CHANGE_PASSWORD_FOR_TOKEN, "status": 403}, 403
            return None
        if _session_expired(app):
            logout_user()
            session.clear()
            flash("登录已超时，请重新登录", "warning")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.must_change_password and request.endpoint not in EXEMPT_ENDPOINTS:
            flash("管理员已重置您的密码，请先设置新密码", "warning")
            return redirect(url_for("account.password"))
        return None
