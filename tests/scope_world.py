"""A small district with two streets, for the scope tests (tests/test_scope_sweep.py and
tests/views/test_scope.py): every row here is named, so what each role should see and change can
be checked by hand.

Streets and buildings: 八一路 has A1 甲一大厦 and A2 甲二大厦, both kept by ``manager``; 白云 has
B1 乙一大厦, kept by ``other_manager``. Today is 2026-11-15.

Units: A1 5F-01 (200 m², let) and 5F-02 (100 m², vacant); A2 3F-01 (150 m², let); B1 2F-01
(300 m², let), 2F-02 (120 m², let) and 2F-03 (80 m², vacant).

Companies and where they sit:
- 甲租户 leases A1 5F-01 and is registered in A1;
- 乙租户 leases B1 2F-01 (since 2025-07) and is registered in B1;
- 共享 leases A2 3F-01 and B1 2F-02 and is registered in B1 — on both streets;
- 注册 is registered in A1 and leases nothing (注册不入驻);
- 前租户 leased B1 2F-01 until it moved out on 2025-06-30, registered nowhere;
- 区外 sits nowhere (it came with a tax file).

Tax, each record attributed to the building it was imported for: 甲租户 2026-09 A1 ¥1,000,000;
乙租户 2026-09 B1 ¥2,000,000; 共享 2026-08 A2 ¥3,000,000 and 2026-09 B1 ¥4,000,000; 注册 2026-10
A1 ¥500,000; 区外 2026-09 unattributed ¥600,000.

Leads: ``promoter``'s 蓝港 (targets A1, followed up on 2026-11-02) and ``promoter2``'s 华信
(targets B1), both due for a follow-up today.
Move-in requests (pending): 蓝港's company 区外 into A1 5F-02, and 华信's company 区外 into B1 2F-03.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from werkzeug.security import generate_password_hash

from crm.models import EarlyWarning, FollowUp, MoveInRequest, User
from tests import factories as f

ACTORS = ("admin", "leader", "promoter", "manager", "other_manager")
ROLES = {
    "admin": "admin",
    "leader": "leader",
    "promoter": "promoter",
    "promoter2": "promoter",
    "manager": "manager",
    "other_manager": "manager",
}
_CHEAP_HASH = generate_password_hash("not-used-by-these-tests", method="pbkdf2:sha256:1")

# Readers of every building: admins, leaders and promoters.
EVERYONE = ("admin", "leader", "promoter")


def build(session) -> dict:
    a1 = f.building(session, "A1", "甲一大厦", street="八一路")
    a2 = f.building(session, "A2", "甲二大厦", street="八一路")
    b1 = f.building(session, "B1", "乙一大厦", street="白云")
    units = {
        "A1 5F-01": f.unit(session, a1, 5, "01", 200),
        "A1 5F-02": f.unit(session, a1, 5, "02", 100),
        "A2 3F-01": f.unit(session, a2, 3, "01", 150),
        "B1 2F-01": f.unit(session, b1, 2, "01", 300),
        "B1 2F-02": f.unit(session, b1, 2, "02", 120),
        "B1 2F-03": f.unit(session, b1, 2, "03", 80),
    }
    companies = {
        "甲租户": f.company(session, "甲租户有限公司", registered_building=a1),
        "乙租户": f.company(session, "乙租户有限公司", registered_building=b1),
        "共享": f.company(session, "共享科技有限公司", registered_building=b1),
        "注册": f.company(session, "注册企业有限公司", registered_building=a1),
        "前租户": f.company(session, "前租户有限公司", registered=False),
        "区外": f.company(session, "区外企业有限公司", registered=False),
    }
    c = companies
    leases = {
        "前租户@B1": f.lease(
            session,
            c["前租户"],
            b1,
            [units["B1 2F-01"]],
            date(2024, 1, 1),
            date(2026, 12, 31),
            moved_out_on=date(2025, 7, 1),
        ),
        "甲租户@A1": f.lease(session, c["甲租户"], a1, [units["A1 5F-01"]], date(2025, 1, 1), date(2027, 12, 31)),
        "乙租户@B1": f.lease(session, c["乙租户"], b1, [units["B1 2F-01"]], date(2025, 7, 1), date(2028, 6, 30)),
        "共享@A2": f.lease(session, c["共享"], a2, [units["A2 3F-01"]], date(2025, 3, 1), date(2027, 2, 28)),
        "共享@B1": f.lease(session, c["共享"], b1, [units["B1 2F-02"]], date(2025, 3, 1), date(2027, 2, 28)),
    }
    taxes = {
        ("甲租户", "2026-09"): f.tax(session, c["甲租户"], "2026-09", 1_000_000, building=a1),
        ("乙租户", "2026-09"): f.tax(session, c["乙租户"], "2026-09", 2_000_000, building=b1),
        ("共享", "2026-08"): f.tax(session, c["共享"], "2026-08", 3_000_000, building=a2),
        ("共享", "2026-09"): f.tax(session, c["共享"], "2026-09", 4_000_000, building=b1),
        ("注册", "2026-10"): f.tax(session, c["注册"], "2026-10", 500_000, building=a1),
        ("区外", "2026-09"): f.tax(session, c["区外"], "2026-09", 600_000),
    }
    users = {}
    for name, role in ROLES.items():
        kept = {"manager": [a1, a2], "other_manager": [b1]}.get(name, [])
        users[name] = User(username=name, role=role, display_name=name, buildings=kept, password_hash=_CHEAP_HASH)
        session.add(users[name])
    session.flush()
    leads = {
        "蓝港": f.lead(
            session,
            users["promoter"],
            "蓝港科技有限公司",
            target_buildings=[a1],
            last_followup_on=date(2026, 11, 2),
            next_followup_on=date(2026, 11, 15),
        ),
        "华信": f.lead(
            session, users["promoter2"], "华信咨询有限公司", target_buildings=[b1], next_followup_on=date(2026, 11, 15)
        ),
    }
    session.add(
        FollowUp(
            lead=leads["蓝港"], author=users["promoter"], on=date(2026, 11, 2), method="电话", notes="约了下周看房"
        )
    )
    requests = {
        "落地A1": MoveInRequest(
            lead=leads["蓝港"],
            company=c["区外"],
            building=a1,
            unit_ids=str(units["A1 5F-02"].id),
            start_date=date(2026, 12, 1),
            requested_by_id=users["promoter"].id,
        ),
        "落地B1": MoveInRequest(
            lead=leads["华信"],
            company=c["区外"],
            building=b1,
            unit_ids=str(units["B1 2F-03"].id),
            start_date=date(2026, 12, 1),
            requested_by_id=users["promoter2"].id,
        ),
    }
    session.add_all(requests.values())
    # Warnings of each building, one of a company in A2, and one of a company of no building.
    warnings = {
        key: EarlyWarning(
            rule=rule,
            object_type=kind,
            object_id=obj.id,
            period="2026-10",
            building_id=building_id,
            company_id=company_id,
            title=f"{key} 预警",
            severity="medium",
            figures={},
            tax_at_stake=0,
            owner_id=users[owner].id,
            state="pending",
            created_on="2026-11-10",
        )
        for key, rule, kind, obj, building_id, company_id, owner in (
            ("W-A1", "occupancy_drop", "building", a1, a1.id, None, "manager"),
            ("W-B1", "unconfirmed", "building", b1, b1.id, None, "other_manager"),
            ("W-共享", "tax_drop", "company", c["共享"], a2.id, c["共享"].id, "promoter"),
            ("W-区外", "outflow", "company", c["区外"], None, c["区外"].id, "admin"),
        )
    }
    session.add_all(warnings.values())
    session.commit()
    return dict(
        buildings={"A1": a1, "A2": a2, "B1": b1},
        units=units,
        companies=companies,
        leases=leases,
        taxes=taxes,
        users=users,
        leads=leads,
        requests=requests,
        warnings=warnings,
    )


def csv_rows(response) -> list[dict]:
    """The rows of a CSV export (UTF-8 with a BOM) by header."""
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
