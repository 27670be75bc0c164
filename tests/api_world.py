"""A small district for the integration API tests (tests/views/test_api_*.py), and callers that
sign their requests with each user's personal API token, as scripts do.

Two buildings: A01 (kept by manager ``ly``) and B01 (kept by ``ly2``). A01 has a vacant unit
3F-01 (100 m²) and a let one 3F-02 (200 m², 甲租户 until 2027); B01's 2F-01 (300 m²) was let to
乙租户 until 2026-06-30. Tax: 甲租户 ¥1,000,000 + ¥2,000,000 (区级 300,000 + 600,000) in
2026-01/02 in A01, 乙租户 ¥500,000 (区级 none) in 2026-01 in B01. Leads: zs1's 蓝港 (visit,
followed up), zs2's 华信 (lead, overdue) and zs1's 星海 (registered, ready to land). Today is
2026-11-15 (the tests' TODAY).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from crm.accounts.tokens import create_token
from tests import factories as f

VALID_USCC = "91210200241281392F"


@dataclass
class Caller:
    """A test client that signs every request with one user's API token."""

    client: object
    token: str

    def headers(self, extra=None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self.headers(kw.pop("headers", None)), **kw)


@pytest.fixture()
def world(session):
    a = f.building(session, "A01", "甲大厦")
    b = f.building(session, "B01", "乙大厦", street="白云")
    vacant = f.unit(session, a, 3, "01", 100)
    let = f.unit(session, a, 3, "02", 200)
    b_unit = f.unit(session, b, 2, "01", 300)
    tenant_a = f.company(session, "甲租户有限公司", industry_group="金融服务", contact_name="王经理")
    tenant_b = f.company(session, "乙租户有限公司", industry_group="商务服务")
    lease_a = f.lease(session, tenant_a, a, [let], date(2025, 1, 1), date(2027, 12, 31))
    lease_b = f.lease(session, tenant_b, b, [b_unit], date(2024, 1, 1), date(2026, 6, 30))
    f.tax(session, tenant_a, "2026-01", 1_000_000, 300_000, building=a)
    f.tax(session, tenant_a, "2026-02", 2_000_000, 600_000, building=a)
    f.tax(session, tenant_b, "2026-01", 500_000, building=b)
    users = {
        name: f.user(session, name, role, buildings=kept)
        for name, role, kept in [
            ("admin", "admin", []),
            ("leader", "leader", []),
            ("zs1", "promoter", []),
            ("zs2", "promoter", []),
            ("ly", "manager", [a]),
            ("ly2", "manager", [b]),
        ]
    }
    zs1, zs2 = users["zs1"], users["zs2"]
    followed = f.lead(
        session,
        zs1,
        "大连蓝港数据科技有限公司",
        stage="visit",
        industry_group="数字技术服务",
        intended_area=Decimal("500"),
        expected_annual_tax=Decimal("3000000"),
        next_followup_on=date(2026, 11, 20),
        last_followup_on=date(2026, 11, 10),
        target_buildings=[a],
    )
    overdue = f.lead(session, zs2, "华信（大连）软件有限公司", stage="lead", next_followup_on=date(2026, 11, 12))
    landing = f.lead(
        session,
        zs1,
        "大连星海咨询有限公司",
        stage="registered",
        intended_area=Decimal("100"),
        next_followup_on=date(2026, 11, 16),
        last_followup_on=date(2026, 11, 14),
    )
    session.commit()
    return dict(
        a=a,
        b=b,
        vacant=vacant,
        let=let,
        b_unit=b_unit,
        tenant_a=tenant_a,
        tenant_b=tenant_b,
        lease_a=lease_a,
        lease_b=lease_b,
        users=users,
        followed=followed,
        overdue=overdue,
        landing=landing,
    )


@pytest.fixture()
def caller(app, session, world):
    """``caller("zs1")``: a client signed with zs1's personal API token."""
    tokens = {}

    def make(username: str) -> Caller:
        if username not in tokens:
            _, tokens[username] = create_token(session, world["users"][username], "测试脚本", 30)
            session.commit()
        return Caller(app.test_client(), tokens[username])

    return make
