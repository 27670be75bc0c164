"""Settings read from the environment (``CRM_*``), cookiecutter-flask style.

Every setting has a safe default for development; production overrides them through the
environment. A missing or malformed ``CRM_DATABASE_URL`` is reported as a one-line error that
names the variable, never as a traceback deep inside SQLAlchemy.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(RuntimeError):
    """A setting in the environment is missing or malformed."""


SUPPORTED_DATABASES = ("sqlite", "postgresql")


def database_url_from_env(instance_path: str) -> str:
    raw = os.environ.get("CRM_DATABASE_URL")
    if raw is None:
        return "sqlite:///" + str(Path(instance_path) / "crm.db")
    raw = raw.strip()
    if not raw:
        raise ConfigError("CRM_DATABASE_URL 为空：请设置为 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名")
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"CRM_DATABASE_URL 格式不正确（{raw!r}）：应为 sqlite:///路径 或 postgresql+psycopg://用户@主机/库名"
        ) from None
    if url.get_backend_name() not in SUPPORTED_DATABASES:
        raise ConfigError(
            f"CRM_DATABASE_URL 使用了不支持的数据库 {url.get_backend_name()!r}：仅支持 sqlite 和 postgresql"
        )
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def secret_key_from_env(instance_path: str) -> str:
    """Use CRM_SECRET_KEY, else a key generated once into the instance folder.

    Generating it (rather than shipping a default) means two fresh clones never share a key and a
    restart does not sign everybody out.
    """
    key = os.environ.get("CRM_SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def engine_options(url: str) -> dict:
    """Connection-pool settings; on PostgreSQL, no JIT compilation. The planner's cost estimates
    of the district aggregations pass the JIT threshold, and compiling costs 5–10 ms per query,
    more than the queries themselves take — JIT pays off for long analytical queries, not for
    the short ones of a web request.

    And random page reads priced as on solid-state storage (``random_page_cost`` 1.1, not the
    default 4, which assumes spinning disks): at 4 the planner answers "does this tenant hold the
    属地 flag on day D" by hashing the whole flag history of the district for every query
    (36 ms for one building at scale 10) instead of a few index lookups (1.5 ms)."""
    options = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off -c random_page_cost=1.1"}
    return options


class Config:
    """Settings for running the app; built per app so tests can vary the environment."""

    def __init__(self, instance_path: str):
        self.ENV_NAME = os.environ.get("CRM_ENV", "development")
        self.SECRET_KEY = secret_key_from_env(instance_path)
        self.SQLALCHEMY_DATABASE_URI = database_url_from_env(instance_path)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.DEBUG = env_bool("CRM_DEBUG", False)
        self.DEMO_PASSWORD = os.environ.get("CRM_DEMO_PASSWORD", "xigang-demo-2026")
        self.BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.BUSINESS_TIMEZONE = "Asia/Shanghai"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("CRM_SECURE_COOKIES", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.MAX_CONTENT_LENGTH = int(os.environ.get("CRM_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
        # Uploaded import files (crm/io/retention.py): kept this many days and MB in all; previews
        # nobody confirmed and refused files this many hours.
        self.IMPORT_ORIGINALS_DAYS = int(os.environ.get("CRM_IMPORT_ORIGINALS_DAYS") or 30)
        self.IMPORT_ORIGINALS_MB = float(os.environ.get("CRM_IMPORT_ORIGINALS_MB") or 500)
        self.IMPORT_PREVIEW_HOURS = int(os.environ.get("CRM_IMPORT_PREVIEW_HOURS") or 24)
        # How large a sheet (or CSV file) an import reads: its last row, its last column and the
        # grid between them, which a reader allocates whole (crm/io/extent.py).
        self.IMPORT_MAX_ROWS = int(os.environ.get("CRM_IMPORT_MAX_ROWS") or 200_000)
        self.IMPORT_MAX_COLUMNS = int(os.environ.get("CRM_IMPORT_MAX_COLUMNS") or 100)
        self.IMPORT_MAX_CELLS = int(os.environ.get("CRM_IMPORT_MAX_CELLS") or 5_000_000)
        self.WTF_CSRF_TIME_LIMIT = None
        self.IDLE_TIMEOUT_SECONDS = int(os.environ.get("CRM_IDLE_MINUTES", 30)) * 60
        self.ABSOLUTE_TIMEOUT_SECONDS = int(os.environ.get("CRM_SESSION_HOURS", 12)) * 3600
        self.REMEMBER_COOKIE_DURATION = self.ABSOLUTE_TIMEOUT_SECONDS
        self.PROXY_COUNT = int(os.environ.get("CRM_PROXY_COUNT", 0))
        self.PAGE_SIZE = int(os.environ.get("CRM_PAGE_SIZE", 50))
        # Rendered page parts shared by the worker processes of one host (crm/cache/fragments.py);
        # empty turns the store off.
        self.FRAGMENT_CACHE_DIR = os.environ.get("CRM_FRAGMENT_CACHE_DIR", str(Path(instance_path) / "fragments"))
        # A fixed "today" lets operators replay a day and tests freeze the business clock.
        self.TODAY = os.environ.get("CRM_TODAY")
        # Reminders and the scheduler (crm/reminders/jobs.py, its own process: ``crm scheduler run``).
        self.SMTP_HOST = os.environ.get("CRM_SMTP_HOST") or None  # unset: no e-mail is sent
        self.SMTP_PORT = int(os.environ.get("CRM_SMTP_PORT") or 25)
        self.SMTP_USER = os.environ.get("CRM_SMTP_USER") or None
        self.SMTP_PASSWORD = os.environ.get("CRM_SMTP_PASSWORD") or None
        self.SMTP_TLS = (os.environ.get("CRM_SMTP_TLS") or "none").strip().lower()  # starttls | ssl | none
        self.SMTP_FROM = os.environ.get("CRM_SMTP_FROM") or "楼宇招商通 <crm@localhost>"
        self.SMTP_TIMEOUT = float(os.environ.get("CRM_SMTP_TIMEOUT") or 20)
        self.WEBHOOK_TIMEOUT = float(os.environ.get("CRM_WEBHOOK_TIMEOUT") or 5)
        # Test-only, never read from the environment: host names of a test's own robot on this
        # machine, which may then be reached over http at a loopback address.
        self.WEBHOOK_TEST_HOSTS: tuple[str, ...] = ()
        self.DIGEST_TIME = os.environ.get("CRM_DIGEST_TIME") or "08:30"  # Asia/Shanghai
        self.BRIEFING_DAY = int(os.environ.get("CRM_BRIEFING_DAY") or 6)
        self.BRIEFING_TIME = os.environ.get("CRM_BRIEFING_TIME") or "09:00"
        self.DELIVERY_RETRY_MINUTES = int(os.environ.get("CRM_DELIVERY_RETRY_MINUTES") or 5)
        self.BASE_URL = (os.environ.get("CRM_BASE_URL") or "").rstrip("/")  # for links in e-mails


class TestingConfig(Config):
    def __init__(self, instance_path: str, database_url: str | None = None):
        super().__init__(instance_path)
        self.TESTING = True
        # One process: "another worker" is a test that turns the host's store on for itself, and
        # a first view cleared from memory is not served from disk.
        self.FRAGMENT_CACHE_DIR = ""
        if database_url:
            self.SQLALCHEMY_DATABASE_URI = database_url
            self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(database_url)
