"""Small builders for hand-made test data: each returns a flushed model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy import insert

from crm.models import Building, Company, Lease, TaxRecord, Unit, UnitSelfUse, User, lease_units
from crm.services.leases import create_lease
from crm.services.tax import refresh_rollup
from crm.services.uscc import CHARSET, check_character

_seq = count(1)
PASSWORD = "pw-for-tests-123"


def make_uscc(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    body = "912102" + "00" + f"{n:09d}"  # 17 characters: 91 + 6-digit area code + 9
    body = "".join(ch if ch in CHARSET else "0" for ch in body)[:17]
    return body + check_character(body)


def building(session, code="B01", name=None, street="八一路", zone=None, declared=Decimal("100000"), floors=20, **kw):
    b = Building(
        code=code,
        name=name or f"测试大厦{code}",
        street=street,
        zone=zone,
        declared_office_area=declared,
        floors=floors,
        **kw,
    )
    session.add(b)
    session.flush()
    return b


def unit(session, b, floor=1, number="01", area="100", self_use=False, **kw):
    """A unit; ``self_use`` True makes it self-use since it exists, or a date from that day on."""
    u = Unit(building=b, floor=floor, number=number, area=Decimal(str(area)), **kw)
    session.add(u)
    if self_use:
        start = self_use if isinstance(self_use, date) else kw.get("active_from")
        session.add(UnitSelfUse(unit=u, start_date=start))
    session.flush()
    return u


def company(session, name=None, registered=True, uscc=None, **kw):
    n = next(_seq)
    c = Company(
        name=name or f"测试企业{n}有限公司",
        uscc=uscc or make_uscc(n),
        registered_in_district=registered,
        taxed_in_district=True,
        **kw,
    )
    session.add(c)
    session.flush()
    return c


def lease(session, c, b, units, start, end=None, moved_out_on=None):
    made = create_lease(session, c, b, list(units), start, end)
    if moved_out_on is not None:
        made.moved_out_on = moved_out_on
        session.flush()
    return made


def legacy_lease(session, c, b, units, start, end=None):
    """A lease written behind the ORM's back, as a change made before corrections were enforced
    would have been: no correction, no history — the drift a published month must not pick up."""
    lease_id = session.execute(
        insert(Lease.__table__)
        .values(
            company_id=c.id,
            building_id=b.id,
            start_date=start,
            end_date=end,
            version=1,
        )
        .returning(Lease.__table__.c.id)
    ).scalar_one()
    session.execute(insert(lease_units), [dict(lease_id=lease_id, unit_id=u.id) for u in units])
    return session.get(Lease, lease_id)


def tax(session, c, period, total, district=None, building=None):
    t = TaxRecord(
        company=c,
        period=period,
        total_tax=Decimal(str(total)),
        district_tax=None if district is None else Decimal(str(district)),
        building=building,
    )
    session.add(t)
    session.flush()
    refresh_rollup(session, [period])
    return t


def user(session, username, role, buildings=(), password=PASSWORD):
    u = User(username=username, role=role, display_name=username, buildings=list(buildings))
    u.set_password(password)
    session.add(u)
    session.flush()
    return u


def lead(session, owner, name=None, stage="lead", created_on=date(2026, 11, 1), **kw):
    """A lead (招商项目) written directly, bypassing the service's rules — for setting up a scene."""
    from crm.models import Lead

    kw.setdefault("source", "以商招商")
    made = Lead(
        company_name=name or f"测试项目{next(_seq)}有限公司", owner=owner, stage=stage, created_on=created_on, **kw
    )
    session.add(made)
    session.flush()
    return made
