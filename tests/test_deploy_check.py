"""``crm check-deploy`` names every problem and exits non-zero."""

from __future__ import annotations

from crm.deploy_check import deployment_problems

GOOD = {
    "ENV_NAME": "production",
    "DEBUG": False,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://crm@db/crm",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "SMTP_HOST": "mail.example",
    "SMTP_TLS": "starttls",
}
ENV = {"CRM_SECRET_KEY": "k" * 64}


def test_a_good_production_configuration_passes():
    assert deployment_problems(GOOD, ENV) == []


def test_each_problem_is_named():
    bad = dict(
        GOOD,
        DEBUG=True,
        SQLALCHEMY_DATABASE_URI="sqlite:////srv/crm.db",
        SESSION_COOKIE_SECURE=False,
        MAX_CONTENT_LENGTH=None,
        SMTP_TLS="none",
    )
    problems = "\n".join(deployment_problems(bad, {"CRM_SECRET_KEY": "secret"}))
    for needle in (
        "CRM_DEBUG",
        "CRM_SECRET_KEY",
        "SQLite",
        "CRM_SECURE_COOKIES",
        "CRM_MAX_UPLOAD_BYTES",
        "CRM_SMTP_TLS",
    ):
        assert needle in problems
    assert "未设置 CRM_SECRET_KEY" in "\n".join(deployment_problems(GOOD, {}))


def test_the_command_exits_non_zero(app):
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "CRM_SECURE_COOKIES" in result.output
