"""The figures leadership sees (crm.services.figures) for a small hand-made district.

The district, as of M = 2026-10 (areas in m², tax in yuan):

XG01 甲大厦  units 1F-01 1000, 1F-02 1000, 2F-01 2000, 2F-02 500 (self-use), 3F-01 1000
             leasable = 1000 + 1000 + 2000 + 1000 = 5000
             A (registered)   1F-01 + 1F-02  2025-01-01 → open
             B (unregistered) 2F-01          2025-06-01 → 2026-09-30 (ended before M's end)
             C (unregistered) 2F-01          2026-10-20 → open
             at 2026-10-31: occupied A 2000 + C 2000 = 4000 → 80 %, vacant 1000, tenants 2, registered 1
             tax (A): 2025 9,000,000/month (district 2,700,000); 2026-01..10 4,000,000/month
                      (district 1,200,000); 2026-11 7,777,777 (after M)
XG02 乙大厦  units 1F-01 500, 1F-02 1500 → leasable 2000
             D (registered) 1F-02 2024-01-01 → 2030-12-31: occupied 1500 → 75 %, vacant 500
             tax (D): 2025 5,000,000/month; 2026-01..10 6,000,000/month
XG03 丙大厦  unit 1F-01 800, no lease: occupied 0 → 0 %, vacant 800
             tax (E, registered here, no lease): 2025 1,000,000/month; 2026-01..10 500,000/month
F, no building: 2026-05 9,999,999 — in no building's sum.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update

from crm.models import Company, Lease, OccupancySnapshot, Setting
from crm.services.district_flags import set_flag
from crm.services.figures import building_figures, building_history, district_summary, tier_year

try:
    from tests import factories as f
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    import factories as f

D = Decimal
M = "2026-10"
MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]
JAN_TO_OCT_2026 = [f"2026-{m:02d}" for m in range(1, 11)]


@pytest.fixture()
def district(session):
    x1 = f.building(session, "XG01", name="甲大厦")
    x2 = f.building(session, "XG02", name="乙大厦")
    x3 = f.building(session, "XG03", name="丙大厦")
    u = {
        "101": f.unit(session, x1, 1, "01", 1000),
        "102": f.unit(session, x1, 1, "02", 1000),
        "201": f.unit(session, x1, 2, "01", 2000),
        "202": f.unit(session, x1, 2, "02", 500, self_use=True),
        "301": f.unit(session, x1, 3, "01", 1000),
        "x2_101": f.unit(session, x2, 1, "01", 500),
        "x2_102": f.unit(session, x2, 1, "02", 1500),
        "x3_101": f.unit(session, x3, 1, "01", 800),
    }
    a = f.company(session, name="甲公司", registered=True)
    b = f.company(session, name="乙公司", registered=False)
    c = f.company(session, name="丙公司", registered=False)
    d = f.company(session, name="丁公司", registered=True)
    e = f.company(session, name="戊公司", registered=True, registered_building=x3)
    loose = f.company(session, name="己公司", registered=True)
    f.lease(session, a, x1, [u["101"], u["102"]], date(2025, 1, 1))
    f.lease(session, b, x1, [u["201"]], date(2025, 6, 1), date(2026, 9, 30))
    f.lease(session, c, x1, [u["201"]], date(2026, 10, 20))
    f.lease(session, d, x2, [u["x2_102"]], date(2024, 1, 1), date(2030, 12, 31))
    for p in MONTHS_2025:
        f.tax(session, a, p, 9_000_000, 2_700_000, building=x1)
        f.tax(session, d, p, 5_000_000, 1_500_000, building=x2)
        f.tax(session, e, p, 1_000_000, 300_000, building=x3)
    for p in JAN_TO_OCT_2026:
        f.tax(session, a, p, 4_000_000, 1_200_000, building=x1)
        f.tax(session, d, p, 6_000_000, 1_800_000, building=x2)
        f.tax(session, e, p, 500_000, 150_000, building=x3)
    f.tax(session, a, "2026-11", 7_777_777, 2_333_333, building=x1)
    f.tax(session, loose, "2026-05", 9_999_999, 3_000_000, building=None)
    return {"x1": x1, "x2": x2, "x3": x3}


def by_code(rows):
    return {row.building.code: row for row in rows}


# --- per building -----------------------------------------------------------------------------


def test_building_figures_occupancy(session, district):
    rows = building_figures(session, M)
    assert [r.building.code for r in rows] == ["XG01", "XG02", "XG03"]
    x1, x2, x3 = (by_code(rows)[c] for c in ("XG01", "XG02", "XG03"))

    assert x1.occupancy.leasable_area == D("5000")
    assert x1.occupancy.occupied_area == D("4000")  # A 2000 + C 2000; B ended 09-30
    assert x1.occupancy.occupancy == pytest.approx(0.8)
    assert x1.occupancy.vacant_area == D("1000")
    assert x1.occupancy.tenants == 2
    assert x1.occupancy.registered_tenants == 1
    assert x1.occupancy.registered_area == D("2000")

    assert x2.occupancy.occupied_area == D("1500")
    assert x2.occupancy.occupancy == pytest.approx(0.75)  # 1500 ÷ 2000
    assert x2.occupancy.vacant_area == D("500")

    assert x3.occupancy.occupied_area == 0
    assert x3.occupancy.occupancy == 0.0
    assert x3.occupancy.vacant_area == D("800")
    assert x3.occupancy.tenants == 0


def test_building_figures_tax(session, district):
    x1, x2, x3 = (by_code(building_figures(session, M))[c] for c in ("XG01", "XG02", "XG03"))

    # XG01 YTD Jan..Oct 2026 = 10 × 4,000,000 = 40,000,000 (the 2026-11 7,777,777 is after M)
    assert x1.tax_ytd == D("40000000")
    # Jan..Oct 2025 = 10 × 9,000,000 = 90,000,000
    assert x1.tax_ytd_prev == D("90000000")
    # 12 months ending 2026-10 = 2025-11, 2025-12 (2 × 9,000,000) + 10 × 4,000,000 = 58,000,000
    assert x1.tax_12m == D("58000000")
    # ÷ occupied 4000 m² at 2026-10-31 = 14,500.00 per m²
    assert x1.tax_per_m2 == D("14500.00")

    assert x2.tax_ytd == D("60000000")  # 10 × 6,000,000
    assert x2.tax_ytd_prev == D("50000000")  # 10 × 5,000,000
    assert x2.tax_12m == D("70000000")  # 2 × 5,000,000 + 10 × 6,000,000
    assert x2.tax_per_m2 == D("46666.67")  # 70,000,000 ÷ 1500 = 46,666.666… → 46,666.67

    assert x3.tax_ytd == D("5000000")  # 10 × 500,000
    assert x3.tax_ytd_prev == D("10000000")  # 10 × 1,000,000
    assert x3.tax_12m == D("7000000")  # 2 × 1,000,000 + 10 × 500,000
    assert x3.tax_per_m2 is None  # no occupied area


def test_tier_is_that_of_the_last_complete_year(session, district):
    assert tier_year("2026-10") == 2025
    assert tier_year("2026-01") == 2025
    assert tier_year("2026-12") == 2026
    x1, x2, x3 = (by_code(building_figures(session, M))[c] for c in ("XG01", "XG02", "XG03"))
    # 2025: XG01 12 × 9,000,000 = 108,000,000 ≥ 100,000,000 → 亿元楼
    assert x1.tier_year_tax == D("108000000")
    assert x1.tier == "yi"
    # so far 2026: 40,000,000 → 千万楼
    assert x1.tier_so_far == "qianwan"
    # XG02 2025: 60,000,000 → 五千万楼; 2026 so far 60,000,000 → 五千万楼
    assert x2.tier_year_tax == D("60000000")
    assert (x2.tier, x2.tier_so_far) == ("wuqianwan", "wuqianwan")
    # XG03 2025: 12,000,000 → 千万楼; 2026 so far 5,000,000 → none
    assert x3.tier_year_tax == D("12000000")
    assert (x3.tier, x3.tier_so_far) == ("qianwan", None)


def test_in_december_the_tier_is_of_the_year_itself(session, district):
    x1, x2, x3 = (by_code(building_figures(session, "2026-12"))[c] for c in ("XG01", "XG02", "XG03"))
    # XG01 2026 = 40,000,000 + 7,777,777 (Nov) = 47,777,777 → 千万楼
    assert x1.tax_ytd == D("47777777")
    assert x1.tier_year_tax == D("47777777")
    assert x1.tier == "qianwan"
    assert x1.tier_so_far == "qianwan"
    # Jan..Dec 2025 = 108,000,000
    assert x1.tax_ytd_prev == D("108000000")
    assert x2.tier == "wuqianwan"  # 60,000,000
    assert x3.tier is None  # 5,000,000


def test_tier_on_the_district_basis(session):
    x = f.building(session, "XG09")
    c = f.company(session)
    # 2025: total 12 × 10,000,000 = 120,000,000 (亿元楼 by 全口径);
    #       district 12 × 3,000,000 = 36,000,000 (千万楼 by 区级)
    for p in MONTHS_2025:
        f.tax(session, c, p, 10_000_000, 3_000_000, building=x)
    assert building_figures(session, M)[0].tier == "yi"
    session.add(Setting(key="tier_basis", value="district"))
    session.flush()
    row = building_figures(session, M)[0]
    assert row.tier_year_tax == D("36000000")
    assert row.tier == "qianwan"


def test_building_without_leasable_area_does_not_crash(session):
    x = f.building(session, "XG08")
    f.unit(session, x, 1, "01", 300, self_use=True)
    row = building_figures(session, M)[0]
    assert row.occupancy.occupancy is None
    assert row.tax_per_m2 is None
    summary = district_summary(session, M)
    assert summary.occupancy.occupancy is None
    assert summary.registered_rate is None
    assert summary.tax_ytd_change is None  # no tax last year


# --- the district -----------------------------------------------------------------------------


def test_district_summary(session, district):
    s = district_summary(session, M)
    assert s.month == M
    assert s.tier_year == 2025
    assert s.buildings == 3
    # leasable 5000 + 2000 + 800 = 7800; occupied 4000 + 1500 + 0 = 5500; vacant 1000 + 500 + 800 = 2300
    assert s.occupancy.leasable_area == D("7800")
    assert s.occupancy.occupied_area == D("5500")
    assert s.occupancy.vacant_area == D("2300")
    assert s.occupancy.occupancy == pytest.approx(5500 / 7800)  # 70.5 %
    # tenants 2 + 1 + 0 = 3; registered A and D = 2 → 属地注册率 2/3
    assert s.occupancy.tenants == 3
    assert s.occupancy.registered_tenants == 2
    assert s.registered_rate == pytest.approx(2 / 3)
    # YTD 40,000,000 + 60,000,000 + 5,000,000 = 105,000,000 (F's 9,999,999 has no building)
    assert s.tax_ytd == D("105000000")
    # Jan..Oct 2025: 90,000,000 + 50,000,000 + 10,000,000 = 150,000,000
    assert s.tax_ytd_prev == D("150000000")
    # (105 − 150) ÷ 150 = −0.3
    assert s.tax_ytd_change == pytest.approx(-0.3)
    assert s.tiers == {"yi": 1, "wuqianwan": 1, "qianwan": 1}
    assert s.tiers_so_far == {"yi": 0, "wuqianwan": 1, "qianwan": 1}
    assert s.confirmed_buildings == 0


def test_district_monthly_tax_has_24_months_ending_with_m(session, district):
    monthly = district_summary(session, M).monthly_tax
    assert len(monthly) == 24
    assert monthly[0][0] == "2024-11"
    assert monthly[-1][0] == M
    amounts = dict(monthly)
    assert amounts["2024-11"] == 0 and amounts["2024-12"] == 0
    # 2025 months: 9,000,000 + 5,000,000 + 1,000,000 = 15,000,000
    assert all(amounts[p] == D("15000000") for p in MONTHS_2025)
    # 2026 months: 4,000,000 + 6,000,000 + 500,000 = 10,500,000 (2026-05 without F's unattributed 9,999,999)
    assert all(amounts[p] == D("10500000") for p in JAN_TO_OCT_2026)
    # 12 × 15,000,000 + 10 × 10,500,000 = 285,000,000
    assert sum(amounts.values()) == D("285000000")
    assert "2026-11" not in amounts


def test_scoping_by_building_ids_excludes_the_other_buildings(session, district):
    x1, x3 = district["x1"].id, district["x3"].id
    rows = building_figures(session, M, building_ids=[x1, x3])
    assert [r.building.code for r in rows] == ["XG01", "XG03"]
    s = district_summary(session, M, building_ids=[x1, x3])
    assert s.buildings == 2
    assert s.occupancy.leasable_area == D("5800")  # 5000 + 800
    assert s.occupancy.occupied_area == D("4000")  # 4000 + 0
    assert s.occupancy.tenants == 2
    assert s.tax_ytd == D("45000000")  # 40,000,000 + 5,000,000
    assert s.tax_ytd_prev == D("100000000")  # 90,000,000 + 10,000,000
    assert s.tiers == {"yi": 1, "wuqianwan": 0, "qianwan": 1}
    amounts = dict(s.monthly_tax)
    assert amounts["2025-01"] == D("10000000")  # 9,000,000 + 1,000,000
    assert amounts["2026-10"] == D("4500000")  # 4,000,000 + 500,000
    assert building_figures(session, M, building_ids=[]) == []


def test_district_of_no_buildings(session):
    s = district_summary(session, M, building_ids=[])
    assert s.buildings == 0
    assert s.tax_ytd == 0
    assert len(s.monthly_tax) == 24
    assert all(amount == 0 for _, amount in s.monthly_tax)


# --- snapshots --------------------------------------------------------------------------------


def snapshot(session, building, period, confirmed, **figures):
    s = OccupancySnapshot(
        building=building,
        period=period,
        confirmed_at=datetime(2026, 11, 3, tzinfo=timezone.utc) if confirmed else None,
        **figures,
    )
    session.add(s)
    session.flush()
    return s


def test_confirmed_snapshot_overrides_the_derived_month(session, district):
    snapshot(
        session,
        district["x2"],
        M,
        True,
        leasable_area=D("2000"),
        occupied_area=D("1000"),
        vacant_area=D("1000"),
        tenants=4,
        registered_tenants=1,
        registered_area=D("300"),
    )
    x2 = by_code(building_figures(session, M))["XG02"]
    assert x2.occupancy.confirmed
    assert x2.occupancy.occupied_area == D("1000")  # the frozen number, not the derived 1500
    assert x2.occupancy.occupancy == pytest.approx(0.5)  # 1000 ÷ 2000
    assert x2.occupancy.tenants == 4
    assert x2.tax_per_m2 == D("70000.00")  # 70,000,000 ÷ 1000
    s = district_summary(session, M)
    assert s.confirmed_buildings == 1
    assert s.occupancy.occupied_area == D("5000")  # 4000 + 1000 + 0
    # A snapshot frozen before snapshots kept their companies, whose leases now count otherwise
    # (1, not 4): its counts stand, as companies of their own.
    assert s.occupancy.tenants == 6  # A, C + 4 + 0
    assert s.occupancy.registered_tenants == 2  # A + 1 + 0
    # a snapshot of another month does not touch M
    assert by_code(building_figures(session, "2026-09"))["XG02"].occupancy.occupied_area == D("1500")


def test_unconfirmed_snapshot_does_not_override(session, district):
    snapshot(
        session,
        district["x2"],
        M,
        False,
        leasable_area=D("2000"),
        occupied_area=D("1000"),
        vacant_area=D("1000"),
        tenants=4,
        registered_tenants=1,
        registered_area=D("300"),
    )
    x2 = by_code(building_figures(session, M))["XG02"]
    assert not x2.occupancy.confirmed
    assert x2.occupancy.occupied_area == D("1500")
    assert x2.occupancy.tenants == 1
    assert district_summary(session, M).confirmed_buildings == 0


# --- history ----------------------------------------------------------------------------------


def test_building_history(session, district):
    x1 = district["x1"]
    snapshot(
        session,
        x1,
        "2025-03",
        True,
        leasable_area=D("5000"),
        occupied_area=D("2500"),
        vacant_area=D("2500"),
        tenants=2,
        registered_tenants=1,
        registered_area=D("2000"),
    )
    points = building_history(session, x1, M)
    assert len(points) == 24
    assert [p.period for p in points][0] == "2024-11"
    assert [p.period for p in points][-1] == M
    at = {p.period: p for p in points}
    # month-end occupied area: before A (2024-12-31) 0; A only (2025-01..05) 2000;
    # A + B (2025-06 .. 2026-09, B still in on its last day 2026-09-30) 4000; A + C (2026-10) 4000
    assert at["2024-12"].occupancy.occupied_area == 0
    assert at["2024-12"].occupancy.leasable_area == D("5000")
    assert at["2025-01"].occupancy.occupied_area == D("2000")
    assert at["2025-05"].occupancy.occupied_area == D("2000")
    assert at["2025-06"].occupancy.occupied_area == D("4000")
    assert at["2026-09"].occupancy.occupied_area == D("4000")
    assert at["2026-09"].occupancy.tenants == 2  # A and B
    assert at["2026-10"].occupancy.occupied_area == D("4000")
    assert at["2026-10"].occupancy.tenants == 2  # A and C
    # the confirmed 2025-03 snapshot is what history shows for that month
    assert at["2025-03"].occupancy.occupied_area == D("2500")
    assert at["2025-03"].occupancy.confirmed
    # monthly tax, total and district
    assert at["2024-11"].tax == 0
    assert at["2025-01"].tax == D("9000000")
    assert at["2025-01"].district_tax == D("2700000")
    assert at["2026-10"].tax == D("4000000")
    assert at["2026-10"].district_tax == D("1200000")
    # 12 × 9,000,000 + 10 × 4,000,000 = 148,000,000 over the 24 months
    assert sum(p.tax for p in points) == D("148000000")


# --- tenants of the district ------------------------------------------------------------------


def test_a_company_in_two_buildings_is_one_tenant_of_the_district(session, district):
    """A (registered) also takes XG02 1F-01: XG01 {A, C}, XG02 {A, D} — 2 + 2 by building, but
    the district has 3 tenants, 2 of them registered (A once): 属地注册率 2/3, not 3/4."""
    from crm.models import Unit
    from crm.services.confirmation import confirm_month

    a = session.query(Company).filter_by(name="甲公司").one()
    unit = session.query(Unit).filter_by(building_id=district["x2"].id, number="01").one()
    second = f.lease(session, a, district["x2"], [unit], date(2025, 3, 1))
    rows = by_code(building_figures(session, M))
    assert (rows["XG01"].occupancy.tenants, rows["XG02"].occupancy.tenants) == (2, 2)
    s = district_summary(session, M)
    assert (s.occupancy.tenants, s.occupancy.registered_tenants) == (3, 2)
    assert s.registered_rate == pytest.approx(2 / 3)
    assert district_summary(session, M, building_ids=[district["x2"].id]).occupancy.tenants == 2

    # Confirmed, October keeps the companies it counted: a late change that is no correction
    # (A said to have left XG02 in October, D no longer registered) moves neither figure.
    manager = f.user(session, "ly", "manager", buildings=[district["x1"], district["x2"]])
    lapsed = session.query(Lease).join(Company).filter(Company.name == "乙公司").one()
    lapsed.moved_out_on = lapsed.end_date + timedelta(days=1)  # resolved, so October can be confirmed
    for building in (district["x1"], district["x2"]):
        confirm_month(session, manager, building, M, date(2026, 11, 15))
    snapshot_ids = session.query(OccupancySnapshot).filter_by(building_id=district["x2"].id, period=M).one().tenant_ids
    assert snapshot_ids == sorted([a.id, session.query(Company).filter_by(name="丁公司").one().id])
    # Written behind the app's back, as an older release let such edits in without a correction.
    session.execute(
        update(Lease.__table__).where(Lease.__table__.c.id == second.id).values(moved_out_on=date(2026, 10, 15))
    )
    session.expire(second)
    # D's registration ends on 2026-11-01 (the flags are dated): October keeps it, November not.
    set_flag(
        session,
        session.query(Company).filter_by(name="丁公司").one(),
        "registered_in_district",
        False,
        date(2026, 11, 1),
    )
    s = district_summary(session, M)
    assert (s.occupancy.tenants, s.occupancy.registered_tenants) == (3, 2)
    # The month after is derived from the leases: A only in XG01, D unregistered.
    assert (
        district_summary(session, "2026-11").occupancy.tenants,
        district_summary(session, "2026-11").occupancy.registered_tenants,
    ) == (3, 1)
