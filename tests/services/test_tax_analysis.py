"""Tax pages on the hand-built district (tests/candidate_district.py), figures worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.models import TaxRecord
from crm.services.errors import NotFound
from crm.services.tax import refresh_rollup
from crm.services.tax_analysis import building_tax, district_tax
from tests import candidate_district as district
from tests import factories as f

M = 1_000_000


@pytest.fixture()
def data(session):
    return district.build(session)


def test_building_years_months_and_tenants(session, data):
    e = data["buildings"]["E01"]
    page = building_tax(session, e, "2026-06", today=date(2026, 7, 1))
    years = {y.year: y for y in page.years}
    assert [y.year for y in page.years] == [2026, 2025]
    # 2026 so far: y 6 m × 6 = 36 m (区级 40 % = 14.4 m) against 2025 H1 (4 + 6) × 6 = 60 m.
    assert (years[2026].total, years[2026].district, years[2026].months) == (
        Decimal("36000000.00"),
        Decimal("14400000.00"),
        6,
    )
    assert years[2026].yoy == pytest.approx(-0.4) and not years[2026].complete and years[2026].tier == "qianwan"
    # 2025: 120 m, 亿元楼; 2024 has no data, so no year-on-year change is claimed.
    assert years[2025].total == Decimal("120000000.00") and years[2025].tier == "yi" and years[2025].yoy is None
    june = page.months[-1]
    assert (june.period, june.total, june.district, june.total_prev) == (
        "2026-06",
        Decimal("6000000.00"),
        Decimal("2400000.00"),
        Decimal("10000000.00"),
    )
    assert june.yoy == pytest.approx(-0.4) and len(page.months) == 24
    # 12 months to June: y 72 m, x 24 m (x left at the end of 2025; its tax stays here).
    assert page.tenants_total == Decimal("96000000.00")
    assert [(t.company.name, t.tax, t.share) for t in page.tenants] == [
        ("戊租户有限公司", Decimal("72000000.00"), 0.75),
        ("迁移科技有限公司", Decimal("24000000.00"), 0.25),
    ]
    assert page.tenants[0].lease is not None and page.tenants[1].lease is None
    assert page.figures.tax_per_m2 == Decimal("96000.00")
    assert page.expiring == []


def test_leases_ending_within_a_year_with_their_tax(session, data):
    fb = data["buildings"]["F01"]
    page = building_tax(session, fb, "2026-06", today=date(2026, 7, 1))
    # x's lease in F ends 2027-06-30: 364 days after 2026-07-01; its 12-month tax here 4 m × 6.
    assert [(e.lease.company.name, e.days_left, e.tax_12m) for e in page.expiring] == [
        ("迁移科技有限公司", 364, Decimal("24000000.00"))
    ]
    assert page.tenants_total == Decimal("60000000.00") and page.expiring_share == pytest.approx(0.4)
    assert building_tax(session, fb, "2026-06", today=date(2026, 6, 29)).expiring == []  # 366 days out: not yet


@pytest.fixture()
def district_data(session, data):
    co = data["companies"]
    co["a"].industry_group = co["b"].industry_group = "金融服务"
    extras = [f.company(session, f"小微企业{i}") for i in range(4)]
    for company in extras:
        session.add(
            TaxRecord(
                company=company,
                building=data["buildings"]["F01"],
                period="2025-03",
                total_tax=Decimal(M),
                district_tax=Decimal(M) * Decimal("0.4"),
            )
        )
    session.flush()
    refresh_rollup(session, ["2025-03"])
    session.commit()
    return data


def test_district_tiers_by_year_and_movements(session, district_data):
    page = district_tax(session)
    assert page.year == 2025 and page.years == [2024, 2025, 2026] and page.in_progress == 2026
    assert page.selectable_years == [2024, 2025, 2026]
    # 2024: A 96 m, B 72 m; 2025: A 120, B 84, C 20, D 60, E 120, F 36 + 4; 2026 so far: B 102 m.
    assert page.tier_counts[2024] == {"yi": 0, "wuqianwan": 2, "qianwan": 0, None: 4}
    assert page.tier_counts[2025] == {"yi": 2, "wuqianwan": 2, "qianwan": 2, None: 0}
    assert page.tier_counts[2026] == {"yi": 1, "wuqianwan": 1, "qianwan": 4, None: 0}
    assert page.compared
    assert [(m.building.code, m.before, m.after) for m in page.movements] == [
        ("A01", "wuqianwan", "yi"),
        ("E01", None, "yi"),
        ("D01", None, "wuqianwan"),
        ("F01", None, "qianwan"),
        ("C01", None, "qianwan"),
    ]
    assert page.matrix == {
        ("wuqianwan", "yi"): 1,
        ("wuqianwan", "wuqianwan"): 1,
        (None, "yi"): 1,
        (None, "wuqianwan"): 1,
        (None, "qianwan"): 2,
    }
    assert page.ups and not page.downs


def test_district_concentration_industries_and_streets(session, district_data):
    page = district_tax(session, 2025)
    assert page.total == Decimal("444000000.00")
    # Top 10 of 11 companies: all but one 1 m company → 443 m ÷ 444 m.
    assert [s.amount for s in page.top_companies[:3]] == [
        Decimal("120000000.00"),
        Decimal("84000000.00"),
        Decimal("72000000.00"),
    ]
    assert len(page.top_companies) == 10 and page.top_share == pytest.approx(443 / 444)
    assert [(s.label, s.amount) for s in page.industries] == [
        ("未分类", Decimal("240000000.00")),
        ("金融服务", Decimal("204000000.00")),
    ]
    assert {s.label: s.amount for s in page.streets} == {
        "八一路": Decimal("204000000.00"),
        "人民广场": Decimal("60000000.00"),
        "白云": Decimal("20000000.00"),
        "日新": Decimal("120000000.00"),
        "香炉礁": Decimal("40000000.00"),
    }
    assert page.streets[0].share == pytest.approx(204 / 444)


def test_district_year_in_progress_and_refusals(session, district_data):
    page = district_tax(session, 2026)
    # 2025 → 2026 so far: B reaches 亿元楼 (102 m); A, E fall with half a year counted.
    assert page.years == [2024, 2025, 2026] and page.tier_counts[2026]["yi"] == 1
    assert ("B01", "wuqianwan", "yi") in [(m.building.code, m.before, m.after) for m in page.movements]
    with pytest.raises(NotFound, match="没有 2031年"):
        district_tax(session, 2031)
    first = district_tax(session, 2024)
    assert not first.compared and first.movements == []


def test_district_without_tax_data(session):
    with pytest.raises(NotFound, match="没有任何税收数据"):
        district_tax(session)


def test_a_year_the_data_covers_in_part_is_labelled_with_its_months(session):
    """Tax data from December 2023 to October 2025: 2023 is one month, 2025 ten — never a full year."""
    b = f.building(session, "P01", name="部分大厦")
    c = f.company(session, name="部分科技有限公司")
    for period in ["2023-12"] + [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 11)]:
        f.tax(session, c, period, 6_000_000, building=b)
    refresh_rollup(session)
    page = building_tax(session, b, "2025-10", today=date(2025, 11, 15))
    years = {y.year: y for y in page.years}
    assert [y.label for y in page.years] == ["2025年（1–10月）", "2024年", "2023年（12月）"]
    assert (years[2023].total, years[2023].complete, years[2024].complete) == (Decimal("6000000.00"), False, True)
    # 2024 against December 2023 alone would compare a year with a month: no change claimed.
    assert years[2024].yoy is None and years[2025].yoy == pytest.approx(0)
    # A month picked before the latest data runs the year to that month.
    assert [y.label for y in building_tax(session, b, "2025-03", today=date(2025, 11, 15)).years][
        0
    ] == "2025年（1–3月）"
    district = district_tax(session, 2025)
    assert district.year_labels[2025] == "2025年（1–10月）" and district.year_labels[2024] == "2024年"
