"""Backup while writes go on, restore into a fresh database, and compare every table."""

from __future__ import annotations

import hashlib
import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from crm.backup import backup, restore
from crm.extensions import db
from crm.services.errors import DomainError
from tests import factories as f
from tests.conftest import _postgres_database


def table_digest(engine, table) -> tuple[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return len(rows), hashlib.sha256(repr([tuple(str(v) for v in r) for r in rows]).encode()).hexdigest()


@pytest.fixture()
def fresh_database(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "restored.db"), None
        return
    admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    url, drop = _postgres_database(admin)
    yield url, drop
    drop()


def test_backup_during_writes_restores_a_consistent_copy(app, session, database_url, fresh_database, tmp_path):
    b = f.building(session, "XG01")
    unit = f.unit(session, b, 3, "01", 120)
    company = f.company(session)
    f.lease(session, company, b, [unit], date(2025, 1, 1))
    f.tax(session, company, "2026-09", 12345.67, building=b)
    session.commit()

    stop = threading.Event()
    written = []

    def writer():
        engine = create_engine(database_url)
        n = 0
        while not stop.is_set() and n < 2000:
            n += 1
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO login_attempts (username, succeeded, at) VALUES (:u, false, CURRENT_TIMESTAMP)"),
                    {"u": f"w{n:06d}"},
                )
            written.append(n)
        engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 20:
        pass
    out = str(tmp_path / "crm.backup")
    backup(database_url, out)
    stop.set()
    thread.join()

    target_url, _ = fresh_database
    target = create_engine(target_url)
    restore(target_url, out, target)
    source = db.engine
    tables = [t for t in db.metadata.sorted_tables if t.name != "login_attempts"]
    for table in tables:
        assert table_digest(target, table) == table_digest(source, table), table.name
    with target.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT username FROM login_attempts ORDER BY id"))]
        if target.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # A snapshot: the rows written before the backup, in order, with none missing in between.
    assert names == [f"w{n:06d}" for n in range(1, len(names) + 1)]
    assert 20 <= len(names) <= len(written)
    target.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, session, database_url, tmp_path):
    out = str(tmp_path / "crm.backup")
    backup(database_url, out)
    with pytest.raises(DomainError, match="不是空的"):
        restore(database_url, out, db.engine)


def test_restore_refuses_a_missing_or_bad_file(tmp_path):
    target = "sqlite:///" + str(tmp_path / "t.db")
    engine = create_engine(target)
    with pytest.raises(DomainError, match="备份文件不存在"):
        restore(target, str(tmp_path / "nope"), engine)
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DomainError, match="不是有效的 SQLite"):
        restore(target, str(junk), engine)
