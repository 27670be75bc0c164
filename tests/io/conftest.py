"""A small hand-made district for import tests (figures in the docstring of ``district``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pytest
from werkzeug.security import generate_password_hash

from crm.models import User
from tests import factories as f

TODAY = date(2026, 11, 15)


@lru_cache(maxsize=1)
def password_hash() -> str:
    return generate_password_hash(f.PASSWORD)


def user(session, username, role, buildings=()):
    """Like ``factories.user`` but hashing the password once per run: a district has four users."""
    u = User(
        username=username, role=role, display_name=username, buildings=list(buildings), password_hash=password_hash()
    )
    session.add(u)
    session.flush()
    return u


@pytest.fixture()
def district(session):
    """A01 甲大厦 (declared 1,000 m²: units 3F-01 100 + 3F-02 300), B01 乙大厦 (declared 500 m²:
    2F-01 400, 2F-02 self-use 50). 注册甲 registered in A01; 外地乙 leases B01 2F-01 from
    2025-01-01 to 2027-12-31 and paid 2026-09 tax 1,000.00 (district 300.00)."""
    a = f.building(session, "A01", "甲大厦", street="八一路", declared=1000)
    b = f.building(session, "B01", "乙大厦", street="白云", declared=500)
    a1 = f.unit(session, a, 3, "01", 100)
    a2 = f.unit(session, a, 3, "02", 300)
    b1 = f.unit(session, b, 2, "01", 400)
    f.unit(session, b, 2, "02", 50, self_use=True)
    reg = f.company(session, "注册甲有限公司", registered=True, uscc=f.make_uscc(101), registered_building_id=a.id)
    other = f.company(session, "外地乙有限公司", registered=False, uscc=f.make_uscc(102))
    lease = f.lease(session, other, b, [b1], date(2025, 1, 1), date(2027, 12, 31))
    f.tax(session, other, "2026-09", "1000.00", "300.00", building=b)
    admin = user(session, "admin", "admin")
    manager = user(session, "ly", "manager", buildings=[b])
    user(session, "leader", "leader")
    user(session, "zs", "promoter")
    session.commit()
    return dict(a=a, b=b, a1=a1, a2=a2, b1=b1, reg=reg, other=other, lease=lease, admin=admin, manager=manager)
