"""The month bridge on the demo district: for every month of its history and every building, and for
the district, the month-end shown = the month-end before + 新入驻 − 迁出 − 到期未处置 + 其他, to the
hundredth of a m² — summed here, from the parts the pages print.

The demo is loaded once for the module (the slow part); the teardown empties the tables.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.demo import load_demo
from crm.extensions import db
from crm.models import Building
from crm.services import periods as P
from crm.services.bridge import building_bridges, month_bridge
from crm.services.figures import district_summary
from crm.services.snapshots import occupancy_for_months
from tests.conftest import _empty_all_tables

AS_OF = "2026-11"
MONTHS = P.months_ending("2026-10", 35)  # the 36-month history less its first month


@pytest.fixture(scope="module")
def demo(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Building)) == 0
        load_demo(db.session, scale=1, as_of=AS_OF, password="demo-password-for-tests")
        db.session.commit()
        db.session.remove()
    yield
    with app.app_context():
        _empty_all_tables()
        db.session.remove()


@pytest.fixture()
def s(app, demo):
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def summed(bridge):
    """What the reader can add up: the month before plus the parts, without the bridge's help."""
    return bridge.prev + bridge.moved_in - bridge.moved_out - bridge.lapsed + sum(i.amount for i in bridge.other_items)


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_every_building_and_month_adds_up_to_the_month_figures(s):
    buildings = list(s.scalars(select(Building).order_by(Building.code)))
    figures = occupancy_for_months(s, [P.shift(MONTHS[0], -1), *MONTHS], [b.id for b in buildings])
    lapsed_seen = 0
    for building in buildings:
        bridges = building_bridges(s, building.id, MONTHS)
        for month in MONTHS:
            bridge = bridges[month]
            shown, before = figures[(building.id, month)], figures[(building.id, P.shift(month, -1))]
            assert (bridge.area.prev, bridge.area.value) == (before.occupied_area, shown.occupied_area)
            assert cents(summed(bridge.area)) == cents(shown.occupied_area), (building.code, month)
            assert (bridge.tenants.prev, bridge.tenants.value) == (before.tenants, shown.tenants)
            assert summed(bridge.tenants) == shown.tenants, (building.code, month)
            lapsed_seen += bridge.area.lapsed > 0
    assert lapsed_seen  # the demo has leases that ran out without a move-out


def test_every_month_of_the_district_adds_up_to_the_dashboard_figures(s):
    for month in MONTHS[-13:]:
        bridge = month_bridge(s, month)
        shown = district_summary(s, month, chart_months=1).occupancy
        before = district_summary(s, P.shift(month, -1), chart_months=1).occupancy
        assert (bridge.area.prev, bridge.area.value) == (before.occupied_area, shown.occupied_area)
        assert cents(summed(bridge.area)) == cents(shown.occupied_area), month
        assert summed(bridge.tenants) == shown.tenants == bridge.tenants.value, month
        assert bridge.tenants.prev == before.tenants
        json = bridge.area.as_json()
        assert round(float(before.occupied_area) + json["moved_in"] - json["moved_out"] - json["lapsed"]
                     + json["other"], 2) == float(shown.occupied_area)
