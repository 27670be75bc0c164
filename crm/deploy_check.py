"""``crm check-deploy``: the settings a production deployment must not get wrong."""

from __future__ import annotations

from sqlalchemy.engine import make_url

MIN_SECRET_LENGTH = 32
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "please-change-me"}


def deployment_problems(config, env: dict) -> list[str]:
    """Every problem found, each a sentence in Chinese naming the setting to change."""
    problems = []
    production = config.get("ENV_NAME") == "production"
    if config.get("DEBUG"):
        problems.append("调试模式已开启（CRM_DEBUG）：生产环境必须关闭")
    secret = env.get("CRM_SECRET_KEY") or ""
    if not secret:
        problems.append("未设置 CRM_SECRET_KEY：多台应用服务器须使用同一个足够长的随机密钥")
    elif len(secret) < MIN_SECRET_LENGTH or secret.lower() in KNOWN_WEAK_SECRETS:
        problems.append(f"CRM_SECRET_KEY 太短或是常见默认值：至少 {MIN_SECRET_LENGTH} 个随机字符")
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite" and production:
        problems.append("CRM_ENV=production 时数据库仍是 SQLite（CRM_DATABASE_URL）：生产环境请使用 PostgreSQL")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("会话 Cookie 未限定 HTTPS（CRM_SECURE_COOKIES=1）")
    if not config.get("SESSION_COOKIE_HTTPONLY") or config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        problems.append("会话 Cookie 须为 HttpOnly 且 SameSite=Lax")
    if not config.get("MAX_CONTENT_LENGTH"):
        problems.append("未限制上传大小（CRM_MAX_UPLOAD_BYTES）")
    if config.get("SMTP_HOST") and config.get("SMTP_TLS", "none") == "none":
        problems.append("邮件服务器未使用 TLS（CRM_SMTP_TLS=starttls 或 ssl）")
    return problems
