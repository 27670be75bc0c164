"""The demo's 属地化: dated flags for every bulk-loaded company, 入驻不注册 targets in every street,
a few 注册不入驻, and work items in several states; a completion moves its month's 属地注册率."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.demo import load_demo
from crm.extensions import db
from crm.localisation_demo import STREETS, seed_localisation
from crm.models import Building, Company, CompanyFlagPeriod, LocalisationItem
from crm.services import localisation as L
from tests.conftest import _empty_all_tables

TODAY = date(2026, 11, 15)


@pytest.fixture(scope="module")
def seeded(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Building)) == 0
        load_demo(db.session, scale=1, as_of="2026-11", password="demo-password-for-tests")
        before = L.summary(db.session, "2026-11", TODAY, top=0)
        stats = seed_localisation(db.session, TODAY)
        db.session.commit()
        db.session.remove()
    yield stats, before
    with app.app_context():
        _empty_all_tables()
        db.session.remove()


@pytest.fixture()
def s(app, seeded):
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def test_every_flagged_company_has_dated_flags(s, seeded):
    flagged = s.scalar(select(func.count()).select_from(Company).where(Company.registered_in_district.is_(True)))
    dated = s.scalar(select(func.count()).select_from(CompanyFlagPeriod)
                     .where(CompanyFlagPeriod.flag == "registered_in_district", CompanyFlagPeriod.ended_on.is_(None)))
    assert flagged == dated > 0


def test_targets_in_every_street_and_items_in_several_states(s, seeded):
    stats, before = seeded
    rows = L.targets(s, "occupying_unregistered", TODAY)
    assert {r.street for r in rows} >= set(STREETS)
    assert L.targets(s, "registered_not_occupying", TODAY)
    states = dict(s.execute(select(LocalisationItem.state, func.count()).group_by(LocalisationItem.state)).all())
    assert set(states) == {"pending", "visited", "mobilised", "blocked", "done"}
    assert states["done"] == stats["属地化已完成"] == 5 and stats["属地化事项"] == sum(states.values())
    after = L.summary(s, "2026-11", TODAY, top=0)
    # The five completions this month: five more registered tenants in November.
    assert after.registered_tenants == before.registered_tenants + 5 and after.completed_this_year == 5
