"""Lease expiries within 30/90/180 days with the tenant's last-12-month tax; overdue leases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm.services.expiries import expiring, overdue, window_days
from tests import factories as f

TODAY = date(2026, 11, 15)


def test_expiring_and_overdue(session):
    a, b = f.building(session, "E01"), f.building(session, "E02")
    units = [f.unit(session, a, 1, f"{n:02d}", 100) for n in range(1, 6)]
    other = f.unit(session, b, 1, "01", 100)
    big, small, later, gone, late = (
        f.company(session, n) for n in ("大户有限公司", "小户有限公司", "远期有限公司", "已迁有限公司", "逾期有限公司")
    )
    f.lease(session, big, a, [units[0]], date(2024, 1, 1), date(2026, 12, 1))  # 16 days left
    f.lease(session, small, a, [units[1]], date(2024, 1, 1), date(2027, 2, 10))  # 87 days
    f.lease(session, later, a, [units[2]], date(2024, 1, 1), date(2027, 5, 1))  # 167 days
    f.lease(session, gone, a, [units[3]], date(2024, 1, 1), date(2026, 12, 5), moved_out_on=date(2026, 11, 1))
    f.lease(session, late, a, [units[4]], date(2024, 1, 1), date(2026, 10, 31))  # past end, no move-out
    f.lease(session, f.company(session, "乙楼有限公司"), b, [other], date(2024, 1, 1), date(2026, 11, 20))
    f.tax(session, big, "2026-03", 12_000_000, building=a)
    f.tax(session, big, "2025-10", 5_000_000, building=a)  # 13 months back: outside the window
    f.tax(session, small, "2026-10", 80_000, building=a)

    rows = expiring(session, TODAY, 30, [a.id])
    assert [(e.lease.company.name, e.days_left, e.tax_12m) for e in rows] == [
        ("大户有限公司", 16, Decimal("12000000.00"))
    ]
    assert rows[0].large_taxpayer
    assert [e.lease.company.name for e in expiring(session, TODAY, 90, [a.id])] == ["大户有限公司", "小户有限公司"]
    assert len(expiring(session, TODAY, 180, [a.id])) == 3
    assert [e.lease.company.name for e in expiring(session, TODAY, 30, None)] == ["乙楼有限公司", "大户有限公司"]
    [late_row] = overdue(session, TODAY, [a.id])
    assert late_row.lease.company.name == "逾期有限公司" and late_row.days_left == -15


def test_window_days_accepts_only_the_offered_windows():
    assert [window_days(x) for x in ("30", "180", "7", None, "x")] == [30, 180, 90, 90, 90]
