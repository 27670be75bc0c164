"""Engine behaviour per database: SQLite pragmas and BEGIN IMMEDIATE for writes.

SQLite is the embedded default: WAL lets readers go on while one writer writes, busy_timeout makes
a writer wait instead of failing, and a write transaction starts with BEGIN IMMEDIATE so two
writers never both read and then deadlock on upgrading their locks ("database is locked").
Read-only requests (GET/HEAD) begin a plain deferred transaction so they never queue behind
writers.
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def wants_write_lock() -> bool:
    if has_request_context():
        return request.method not in READ_METHODS
    return True  # CLI commands and jobs write


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")
