"""``crm.io.bulk.insert_rows`` stores what SQLAlchemy's own insert stores: dates, amounts, moments
and the defaults of the columns a row leaves out."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from crm.io.bulk import insert_rows
from crm.models import Lead
from tests import factories as f


def test_rows_written_in_bulk_read_back_as_through_sqlalchemy(session):
    owner = f.user(session, "zs-bulk", "promoter")
    moment = datetime(2026, 11, 15, 1, 2, 3, 456789, tzinfo=timezone.utc)
    row = dict(
        company_name="大连批量写入科技有限公司",
        name_key="大连批量写入科技",
        source="展会",
        owner_id=owner.id,
        created_on=date(2026, 6, 1),
        next_followup_on=date(2026, 11, 20),
        created_at=moment,
        expected_annual_tax=Decimal("2500000.50"),
        intended_area=Decimal("600.25"),
        notes=None,
    )
    insert_rows(session, Lead.__table__, [dict(row, id=9001)])
    session.execute(insert(Lead.__table__), [dict(row, id=9002, company_name="对照组")])
    session.expire_all()
    bulk, plain = session.get(Lead, 9001), session.get(Lead, 9002)
    fields = (
        "created_on",
        "next_followup_on",
        "created_at",
        "expected_annual_tax",
        "intended_area",
        "notes",
        "stage",
        "priority",
        "hq_type",
        "version",
        "is_demo",
        "owner_id",
    )
    assert {k: getattr(bulk, k) for k in fields} == {k: getattr(plain, k) for k in fields}
    assert (bulk.stage, bulk.version, bulk.is_demo, bulk.expected_annual_tax) == (
        "lead",
        1,
        False,
        Decimal("2500000.50"),
    )
    assert session.scalars(select(Lead.company_name).order_by(Lead.id)).all() == ["大连批量写入科技有限公司", "对照组"]
