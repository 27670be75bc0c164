"""Request-level security: session timeouts, forced password change, response headers, proxies.

Sessions end after ``CRM_IDLE_MINUTES`` (30) without a request and ``CRM_SESSION_HOURS`` (12)
after sign-in, whichever comes first. The session cookie carries the user's server-side session
token (see ``User.get_id``), so sign-out, a password change or deactivation ends every copy of it.
"""
from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

from flask import flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Inline style attributes size charts and stacking-plan blocks; no inline script is allowed.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

MUST_CHANGE_PASSWORD_FOR_TOKEN = "该账号的密码已由管理员重置：请先在网页上登录并设置新密码，再使用 API 令牌"

EXEMPT_ENDPOINTS = {"static", "auth.login", "auth.logout", "account.password"}

MAX_REDIRECT_LENGTH = 2048


def safe_redirect_target(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``: every redirect to a place a
    request names (``next``, a stored link) goes through here, so no link can send a user off-site.

    Browsers read ``\\`` as ``/`` and drop tabs and newlines inside a URL, so ``/\\evil`` and
    ``/\\t/evil`` would become ``//evil`` — another host. Only a path that starts with exactly one
    ``/`` and holds no backslash, control character or whitespace is taken as it is.
    """
    if not isinstance(target, str) or not 1 <= len(target) <= MAX_REDIRECT_LENGTH:
        return fallback
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(unicodedata.category(char)[0] in "CZ" for char in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


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
    if app.config.get("PROXY_COUNT"):
        # Trust X-Forwarded-* only from the configured number of proxies in front of us.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

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

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if current_user and getattr(current_user, "is_authenticated", False):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
