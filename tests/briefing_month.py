"""A hand-made month for the briefing tests: M = 2026-10, today 2026-11-15. Areas in m², tax in yuan.

Buildings (street order 八一路, 人民广场, 白云 → A01, C01, B01) and leases:

A01 甲大厦 (八一路)   A1 100, A2 200, A3 300, A4 50 self-use → leasable 600
    c1 甲一 (registered)    A1  2025-01-01 → 2027-03-31
    c2 甲二                  A2  2026-10-10 → 2027-01-31       moves in during M
    c3 甲三 (registered)    A3  2025-11-01 → 2026-10-31       ends on M's last day: still in at M's end
B01 乙大厦 (白云)     B1 400, B2 600 → leasable 1000
    c4 乙一                  B1  2025-06-01 → 2026-09-30       ended at September's end, no move-out recorded
    c5 乙二 (registered)    B2  2025-01-01 → 2027-12-31, moved out 2026-10-20 迁出本区
C01 丙大厦 (人民广场) C1 500 → leasable 500
    c7 丙旧                  C1  2025-10-05 → 2025-12-31, moved out 2025-10-25 (到期)
    c6 丙新 (registered)    C1  2026-11-01 → 2027-06-30       starts the day after M

Month ends (leasable 2100 in all three):
    2026-10: A 600 (c1 c2 c3), B 0, C 0 → occupied 600, tenants 3, registered 2 (area 400)
    2026-09: A 400 (c1 c3), B 1000 (c4 c5), C 0 → occupied 1400, tenants 4, registered 3 (area 1000)
    2025-10: A 100 (c1), B 1000 (c4 c5), C 0 → occupied 1100, tenants 3, registered 2 (area 700)
Moves: 2026-10 in c2 (200), out c5 (600); 2026-09 none; 2025-10 in c7 (500), out c7 (500).

Tax (attributed as given): c1 → A: 2025-10 100,000; 2026-01 10,000,000; 2026-09 200,000; 2026-10 300,000.
                            c5 → B: 2025-06 12,000,000; 2025-10 150,000; 2026-10 50,000.
    district month 2026-10 350,000; 2026-09 200,000; 2025-10 250,000
    YTD 2026 = 10,550,000 (A 10,500,000, B 50,000); YTD 2025 (Jan–Oct) = 12,250,000
    tiers of 2025: B 千万楼 (12,150,000), A none → this year A reaches 千万楼 (up), B not yet (pending)

Leads (promoter 张专员), today's stages (no stage history: their stage at M's end is today's):
    L1 接洽 created 2026-10-05, expected 1,000,000, one follow-up on 2026-10-12 setting the next for
       2026-10-20 (overdue at M's end)
    L2 签约 created 2026-09-15, signed 2026-10-12, expected 2,000,000, next follow-up 2026-11-20
    L3 入驻 created 2026-08-01, signed 2026-09-01, landed 2026-10-25, expected 500,000
    L4 线索 created 2026-10-30, merged into L1 (a duplicate: counted nowhere)
    L5 入驻 created 2025-06-01, landed 2025-07-01, expected 300,000 (landed last year)
    L6 线索 created 2026-11-02 (after M: counted nowhere in M)
"""

from __future__ import annotations

from datetime import date

from crm.models import FollowUp
from crm.services.snapshots import record_snapshots

try:
    from tests import factories as f
except ImportError:  # pragma: no cover - tests/ on sys.path
    import factories as f

M = "2026-10"
TODAY = date(2026, 11, 15)


def build(session, names: dict | None = None, confirm_a: bool = True) -> dict:
    names = names or {}
    a = f.building(session, "A01", name=names.get("A01", "甲大厦"), street="八一路")
    b = f.building(session, "B01", name=names.get("B01", "乙大厦"), street="白云")
    c = f.building(session, "C01", name=names.get("C01", "丙大厦"), street="人民广场")
    a1, a2, a3 = f.unit(session, a, 1, "01", 100), f.unit(session, a, 1, "02", 200), f.unit(session, a, 1, "03", 300)
    f.unit(session, a, 2, "01", 50, self_use=True)
    b1, b2 = f.unit(session, b, 1, "01", 400), f.unit(session, b, 1, "02", 600)
    c1u = f.unit(session, c, 1, "01", 500)

    c1 = f.company(session, name=names.get("c1", "甲一科技有限公司"), registered=True)
    c2 = f.company(session, name="甲二咨询有限公司", registered=False)
    c3 = f.company(session, name="甲三贸易有限公司", registered=True)
    c4 = f.company(session, name="乙一物流有限公司", registered=False)
    c5 = f.company(session, name=names.get("c5", "乙二金融有限公司"), registered=True)
    c6 = f.company(session, name="丙新设计有限公司", registered=True)
    c7 = f.company(session, name="丙旧服务有限公司", registered=False)

    f.lease(session, c1, a, [a1], date(2025, 1, 1), date(2027, 3, 31))
    f.lease(session, c2, a, [a2], date(2026, 10, 10), date(2027, 1, 31))
    f.lease(session, c3, a, [a3], date(2025, 11, 1), date(2026, 10, 31))
    f.lease(session, c4, b, [b1], date(2025, 6, 1), date(2026, 9, 30))
    left = f.lease(session, c5, b, [b2], date(2025, 1, 1), date(2027, 12, 31), moved_out_on=date(2026, 10, 20))
    left.move_out_reason = "迁出本区"
    old = f.lease(session, c7, c, [c1u], date(2025, 10, 5), date(2025, 12, 31), moved_out_on=date(2025, 10, 25))
    old.move_out_reason = "到期"
    f.lease(session, c6, c, [c1u], date(2026, 11, 1), date(2027, 6, 30))
    session.flush()

    for period, amount in (("2025-10", 100_000), ("2026-01", 10_000_000), ("2026-09", 200_000), ("2026-10", 300_000)):
        f.tax(session, c1, period, amount, building=a)
    for period, amount in (("2025-06", 12_000_000), ("2025-10", 150_000), ("2026-10", 50_000)):
        f.tax(session, c5, period, amount, building=b)

    admin = f.user(session, "admin1", "admin")
    manager = f.user(session, "louyu-a", "manager", buildings=[a])
    promoter = f.user(session, "zs", "promoter")
    promoter.display_name = "张专员"
    l1 = f.lead(
        session,
        promoter,
        "项目一有限公司",
        stage="contact",
        created_on=date(2026, 10, 5),
        expected_annual_tax=1_000_000,
        next_followup_on=date(2026, 10, 20),
        last_followup_on=date(2026, 10, 12),
    )
    f.lead(
        session,
        promoter,
        "项目二有限公司",
        stage="signed",
        created_on=date(2026, 9, 15),
        signed_on=date(2026, 10, 12),
        expected_annual_tax=2_000_000,
        next_followup_on=date(2026, 11, 20),
        target_buildings=[a],
    )
    f.lead(
        session,
        promoter,
        "项目三有限公司",
        stage="settled",
        created_on=date(2026, 8, 1),
        signed_on=date(2026, 9, 1),
        landed_on=date(2026, 10, 25),
        expected_annual_tax=500_000,
    )
    f.lead(
        session, promoter, "项目一有限公司（重复）", stage="lead", created_on=date(2026, 10, 30), merged_into_id=l1.id
    )
    f.lead(
        session,
        promoter,
        "项目五有限公司",
        stage="settled",
        created_on=date(2025, 6, 1),
        landed_on=date(2025, 7, 1),
        expected_annual_tax=300_000,
    )
    f.lead(session, promoter, "项目六有限公司", stage="lead", created_on=date(2026, 11, 2))
    session.add(
        FollowUp(
            lead=l1,
            author=promoter,
            on=date(2026, 10, 12),
            method="电话",
            notes="初次接洽",
            next_followup_on=date(2026, 10, 20),
        )
    )
    session.flush()

    if confirm_a:
        record_snapshots(session, [M], [a.id], confirmed_by=manager)
    session.flush()
    return {"a": a, "b": b, "c": c, "a1": a1, "admin": admin, "manager": manager, "promoter": promoter}
