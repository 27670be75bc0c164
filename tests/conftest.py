"""Fixtures: an app on a fresh database per test session (SQLite, or PostgreSQL when
``CRM_TEST_DATABASE_URL`` names a server), the schema built by the real migrations, and every
table emptied after each test."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from flask.testing import FlaskClient

from crm import create_app
from crm.config import TestingConfig
from crm.extensions import db as _db


def _postgres_database(admin_url: str):
    """Create a uniquely named database on the server; return its URL and a dropper."""
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@contextmanager
def fresh_database(folder):
    """The URL of a new, empty database: on the PostgreSQL server ``CRM_TEST_DATABASE_URL`` names
    (dropped afterwards), else a SQLite file in ``folder``."""
    admin_url = os.environ.get("CRM_TEST_DATABASE_URL")
    if admin_url and admin_url.startswith("postgresql"):
        url, drop = _postgres_database(admin_url)
        try:
            yield url
        finally:
            drop()
    else:
        yield "sqlite:///" + str(folder / "test.db")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, as in production.

    Without this a request would reuse the test's app context, sharing ``g`` (Flask-Login's
    cached user!) and the database session between requests and clients.
    """

    def open(self, *args, **kwargs):
        from flask import has_app_context

        if has_app_context():
            # The test's own session commits what it set up and lets go of its SQLite lock, as
            # a finished request would; afterwards it reads fresh rows.
            _db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    os.environ["CRM_INSTANCE_PATH"] = str(instance)
    config = TestingConfig(str(instance), database_url=database_url)
    config.WTF_CSRF_ENABLED = False
    config.TODAY = "2026-11-15"
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_all_tables():
    _db.session.rollback()
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of forty tables costs most of a second
        # (new files for each), a DELETE of the few rows a test wrote a few milliseconds.
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            # Ids start at 1 again, as after a fresh migration (and as SQLite reuses them).
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


@pytest.fixture()
def session(app):
    """The app's session inside an app context; every table is emptied afterwards."""
    with app.app_context():
        yield _db.session
        _empty_all_tables()
        _db.session.remove()


@pytest.fixture()
def client(app, session):
    return app.test_client()


@pytest.fixture()
def login(client):
    def do_login(username, password="pw-for-tests-123"):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login
