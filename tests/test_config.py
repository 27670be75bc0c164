"""Configuration errors read as one line naming the variable; the secret key is generated once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from crm.config import Config, ConfigError, database_url_from_env


@pytest.mark.parametrize("value", ["", "not a url", "mysql://root@localhost/x", "postgres://"])
def test_malformed_database_url_is_refused_naming_the_variable(monkeypatch, tmp_path, value):
    monkeypatch.setenv("CRM_DATABASE_URL", value)
    with pytest.raises(ConfigError, match="CRM_DATABASE_URL"):
        database_url_from_env(str(tmp_path))


def test_postgres_url_gets_the_psycopg_driver(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://u:p@db/crm")
    assert database_url_from_env(str(tmp_path)) == "postgresql+psycopg://u:p@db/crm"


def test_cli_reports_a_bad_database_url_in_one_line(tmp_path):
    env = dict(os.environ, CRM_DATABASE_URL="nonsense", CRM_INSTANCE_PATH=str(tmp_path))
    crm = os.path.join(os.path.dirname(sys.executable), "crm")
    result = subprocess.run([crm, "users", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CRM_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_secret_key_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    first = Config(str(tmp_path)).SECRET_KEY
    assert len(first) >= 64 and (tmp_path / "secret_key").read_text() == first
    assert Config(str(tmp_path)).SECRET_KEY == first


def test_postgresql_connections_run_without_jit(session):
    """The JIT compiler costs more than the app's queries take; the app's connections turn it off."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting: this run uses SQLite (CI runs the suite on PostgreSQL too)")
    assert session.execute(text("SHOW jit")).scalar() == "off"
