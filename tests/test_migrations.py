"""The migrations build exactly the schema the models describe, with one head, and carry the data over."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text

from crm import create_app
from crm import config as app_config
from crm.extensions import db
from crm.services.occupancy import occupancy_on
from tests.conftest import fresh_database


def test_one_head(app):
    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrated_schema_matches_the_models(app, session):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_self_use_flags_and_earlier_corrections_survive_the_upgrade(tmp_path):
    with (
        fresh_database(tmp_path) as url,
        create_app(app_config.TestingConfig(str(tmp_path), database_url=url)).app_context(),
    ):
        upgrade(revision="0010")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO buildings (id, code, name, street, declared_office_area, floors, is_demo) "
                    "VALUES (1, 'M01', '迁移大厦', '白云', 1000, 10, false)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO units (id, building_id, floor, number, area, self_use, active_from, version) VALUES "
                    "(1, 1, 1, '01', 100, true, NULL, 1), (2, 1, 1, '02', 200, true, '2025-03-01', 1), "
                    "(3, 1, 1, '03', 300, false, NULL, 1)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO occupancy_snapshots (building_id, period, leasable_area, occupied_area, vacant_area, "
                    "tenants, registered_tenants, registered_area, version, corrected_at, correction_reason) VALUES "
                    "(1, '2026-09', 300, 0, 300, 0, 0, 0, 3, '2026-10-12 02:00:00', '9 月迁出漏登记'), "
                    "(1, '2026-10', 300, 0, 300, 0, 0, 0, 1, NULL, NULL)"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            periods = connection.execute(
                text("SELECT unit_id, start_date, end_date FROM unit_self_use ORDER BY unit_id")
            ).all()
            kept = connection.execute(
                text("SELECT period, operation, reason, version_before, version_after FROM corrections")
            ).all()
        assert [(u, str(s) if s else None, e) for u, s, e in periods] == [(1, None, None), (2, "2025-03-01", None)]
        assert [tuple(row) for row in kept] == [("2026-09", "legacy", "9 月迁出漏登记", None, 3)]
        # Every figure reads as it did: only 1F-03's 300 m² is leasable, on any date.
        assert occupancy_on(db.session, date(2024, 1, 1), [1])[1].leasable_area == 300
        db.session.remove()
        db.engine.dispose()
