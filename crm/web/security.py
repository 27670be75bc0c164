"""Response headers, trusted proxies and safe redirects: what every response and every redirect
to a requested place must respect, whoever is signed in."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
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
    ]
)

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


def init_app(app) -> None:
    if app.config.get("PROXY_COUNT"):
        # Trust X-Forwarded-* only from the configured number of proxies in front of us.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

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
