"""A hand-built district for the tax and candidate tests: six buildings, three years of tax,
leases and leads, every figure of the 2026 report (as of 2026-06) worked out by hand in
``EXPECTED`` below.

Tax (全口径 per month; 区级 is 40 % of it everywhere):

  A01 甲  tenant a  2024: 8 m/month   2025: 10 m/month (120 m, 亿元楼)   2026 H1: 9 m/month
  B01 乙  tenant b  2024: 6 m         2025: 7 m (84 m)                   2026 H1: 17 m → 102 m, 亿元楼 this year
  C01 丙  tenant c  —                 2025 Sep–Dec: 5 m (20 m)          2026 H1: 6.25 m (no full previous year)
  D01 丁  company d registered here, no lease (zero occupied area): 2025: 5 m (60 m)   2026 H1: 5.5 m
  E01 戊  x (left 2025-12-31) 4 m + y 6 m in 2025 (120 m, 亿元楼)     2026 H1: y 6 m
  F01 己  z 3 m/month 2025 (36 m)                                     2026 H1: z 3 m + x (moved in) 4 m

Occupancy at 2026-06-30: A 2,000/2,000; C 1,500/2,000; D 0/800; E 1,000/1,600; F 1,500/1,700.

Leads: C ← negotiation 10 m (50 %) and a duplicate merged into it (ignored); C and D ← visit
4 m (35 %), aimed at both so shared: 0.7 m each; C ← lost 50 m (ignored); F ← registered 20 m
(95 %), settled 100 m and paused 30 m (both ignored).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm.models import Lead, TaxRecord
from crm.services.tax import refresh_rollup
from tests import factories as f

M = 1_000_000

EXPECTED = {
    "year": 2026,
    "as_of": "2026-06",
    "basis": "total",
    "threshold": 100_000_000.0,
    "candidate_threshold": 50_000_000.0,
    "prev_year_label": "上年全年",
    "yi_buildings": [{"code": "B01", "name": "乙大厦", "ytd": 102_000_000.0, "annual_prev": 84_000_000.0}],
    "candidates": [
        {
            # Full 2025: 54 m × 120 m ÷ 60 m = 108 m; 12 months to June 60 m + 54 m = 114 m ÷ 2,000 m².
            "rank": 1,
            "code": "A01",
            "name": "甲大厦",
            "street": "八一路",
            "tier_prev": "yi",
            "ytd": 54_000_000.0,
            "ytd_prev": 60_000_000.0,
            "annual_prev": 120_000_000.0,
            "yoy": -0.1,
            "projection": 108_000_000.0,
            "gap": -8_000_000.0,
            "vacant_area": 0.0,
            "tax_per_m2": 57_000.0,
            "vacancy_potential": 0.0,
            "pipeline_potential": 0.0,
            "verdict": "按当前进度可保持亿元楼",
        },
        {
            # 42 m × 36 m ÷ 18 m = 84 m; (18 m + 42 m) ÷ 1,500 m² = 40,000; 200 m² × 40,000 = 8 m;
            # pipeline 20 m × 0.95 = 19 m ≥ gap 16 m.
            "rank": 2,
            "code": "F01",
            "name": "己大厦",
            "street": "香炉礁",
            "tier_prev": "qianwan",
            "ytd": 42_000_000.0,
            "ytd_prev": 18_000_000.0,
            "annual_prev": 36_000_000.0,
            "yoy": 24 / 18,
            "projection": 84_000_000.0,
            "gap": 16_000_000.0,
            "vacant_area": 200.0,
            "tax_per_m2": 40_000.0,
            "vacancy_potential": 8_000_000.0,
            "pipeline_potential": 19_000_000.0,
            "verdict": "差 1,600.0 万元；空置可补 800.0 万元，储备项目可补 1,900.0 万元，储备项目落地即可达标",
        },
        {
            # No full 2025 → fallback 37.5 m × 12 ÷ 6 = 75 m; (20 m + 37.5 m) ÷ 1,500 = 38,333.33;
            # 500 × 38,333.33 = 19,166,665; pipeline 10 m × 0.5 + 4 m × 0.35 ÷ 2 = 5.7 m; 24,866,665 < 25 m
            # by 133,335.
            "rank": 3,
            "code": "C01",
            "name": "丙大厦",
            "street": "白云",
            "tier_prev": "qianwan",
            "ytd": 37_500_000.0,
            "ytd_prev": 0.0,
            "annual_prev": 20_000_000.0,
            "yoy": None,
            "projection": 75_000_000.0,
            "gap": 25_000_000.0,
            "vacant_area": 500.0,
            "tax_per_m2": 38_333.33,
            "vacancy_potential": 19_166_665.0,
            "pipeline_potential": 5_700_000.0,
            "verdict": "差 2,500.0 万元；空置可补 1,916.7 万元，储备项目可补 570.0 万元，仍缺 13.3 万元",
        },
        {
            # Last year's 亿元楼, now below: 36 m × 120 m ÷ 60 m = 72 m; x's 2025 tax stays here:
            # (60 m + 36 m) ÷ 1,000 = 96,000; 600 × 96,000 = 57.6 m ≥ gap 28 m.
            "rank": 4,
            "code": "E01",
            "name": "戊大厦",
            "street": "日新",
            "tier_prev": "yi",
            "ytd": 36_000_000.0,
            "ytd_prev": 60_000_000.0,
            "annual_prev": 120_000_000.0,
            "yoy": -0.4,
            "projection": 72_000_000.0,
            "gap": 28_000_000.0,
            "vacant_area": 600.0,
            "tax_per_m2": 96_000.0,
            "vacancy_potential": 57_600_000.0,
            "pipeline_potential": 0.0,
            "verdict": "差 2,800.0 万元；空置可补 5,760.0 万元，储备项目可补 0.0 万元，填满空置即可达标",
        },
        {
            # 33 m × 60 m ÷ 30 m = 66 m; no occupied area → no tax per m², no vacancy potential;
            # 34 m − 0.7 m = 33.3 m.
            "rank": 5,
            "code": "D01",
            "name": "丁大厦",
            "street": "人民广场",
            "tier_prev": "wuqianwan",
            "ytd": 33_000_000.0,
            "ytd_prev": 30_000_000.0,
            "annual_prev": 60_000_000.0,
            "yoy": 0.1,
            "projection": 66_000_000.0,
            "gap": 34_000_000.0,
            "vacant_area": 800.0,
            "tax_per_m2": None,
            "vacancy_potential": None,
            "pipeline_potential": 700_000.0,
            "verdict": "差 3,400.0 万元；空置潜力无法估算（月末无已出租面积），储备项目可补 70.0 万元，仍缺 3,330.0 万元",
        },
    ],
}


def months(year: int, first: int = 1, last: int = 12) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(first, last + 1)]


def add_tax(session, company, building, periods, monthly) -> None:
    for period in periods:
        session.add(
            TaxRecord(
                company=company,
                building=building,
                period=period,
                total_tax=Decimal(monthly),
                district_tax=Decimal(monthly) * Decimal("0.4"),
            )
        )


def lead(session, owner, name, stage, expected, targets, merged_into=None) -> Lead:
    item = Lead(
        company_name=name,
        source="以商招商",
        owner_id=owner.id,
        stage=stage,
        created_on=date(2026, 3, 1),
        expected_annual_tax=Decimal(expected),
        target_buildings=list(targets),
        merged_into_id=merged_into.id if merged_into else None,
    )
    session.add(item)
    session.flush()
    return item


def build(session, names=None) -> dict:
    """The district above; ``names`` overrides building names (code → name)."""
    names = names or {}
    specs = [
        ("A01", "甲大厦", "八一路"),
        ("B01", "乙大厦", "八一路"),
        ("C01", "丙大厦", "白云"),
        ("D01", "丁大厦", "人民广场"),
        ("E01", "戊大厦", "日新"),
        ("F01", "己大厦", "香炉礁"),
    ]
    b = {code: f.building(session, code, names.get(code, name), street=street) for code, name, street in specs}

    a_unit = f.unit(session, b["A01"], 5, "01", 2000)
    c1, c2 = f.unit(session, b["C01"], 3, "01", 1000), f.unit(session, b["C01"], 3, "02", 500)
    f.unit(session, b["C01"], 3, "03", 500)
    f.unit(session, b["D01"], 2, "01", 800)
    e1, e2 = f.unit(session, b["E01"], 8, "01", 1000), f.unit(session, b["E01"], 8, "02", 600)
    f1, f2 = f.unit(session, b["F01"], 6, "01", 1000), f.unit(session, b["F01"], 6, "02", 500)
    f.unit(session, b["F01"], 6, "03", 200)

    co = {
        key: f.company(session, name)
        for key, name in [
            ("a", "甲租户有限公司"),
            ("b", "乙租户有限公司"),
            ("c", "丙租户有限公司"),
            ("d", "丁注册有限公司"),
            ("x", "迁移科技有限公司"),
            ("y", "戊租户有限公司"),
            ("z", "己租户有限公司"),
        ]
    }
    co["d"].registered_building_id = b["D01"].id
    f.lease(session, co["a"], b["A01"], [a_unit], date(2023, 1, 1))
    f.lease(session, co["c"], b["C01"], [c1, c2], date(2025, 9, 1))
    f.lease(session, co["y"], b["E01"], [e1], date(2024, 1, 1))
    f.lease(session, co["x"], b["E01"], [e2], date(2024, 1, 1), date(2025, 12, 31), moved_out_on=date(2025, 12, 31))
    f.lease(session, co["z"], b["F01"], [f1], date(2024, 1, 1))
    f.lease(session, co["x"], b["F01"], [f2], date(2026, 1, 1), date(2027, 6, 30))

    add_tax(session, co["a"], b["A01"], months(2024), 8 * M)
    add_tax(session, co["a"], b["A01"], months(2025), 10 * M)
    add_tax(session, co["a"], b["A01"], months(2026, 1, 6), 9 * M)
    add_tax(session, co["b"], b["B01"], months(2024), 6 * M)
    add_tax(session, co["b"], b["B01"], months(2025), 7 * M)
    add_tax(session, co["b"], b["B01"], months(2026, 1, 6), 17 * M)
    add_tax(session, co["c"], b["C01"], months(2025, 9, 12), 5 * M)
    add_tax(session, co["c"], b["C01"], months(2026, 1, 6), 6_250_000)
    add_tax(session, co["d"], b["D01"], months(2025), 5 * M)
    add_tax(session, co["d"], b["D01"], months(2026, 1, 6), 5_500_000)
    add_tax(session, co["x"], b["E01"], months(2025), 4 * M)  # attributed to E when paid; x has left since
    add_tax(session, co["y"], b["E01"], months(2025), 6 * M)
    add_tax(session, co["y"], b["E01"], months(2026, 1, 6), 6 * M)
    add_tax(session, co["z"], b["F01"], months(2025), 3 * M)
    add_tax(session, co["z"], b["F01"], months(2026, 1, 6), 3 * M)
    add_tax(session, co["x"], b["F01"], months(2026, 1, 6), 4 * M)
    session.flush()
    refresh_rollup(session)

    owner = f.user(session, "zs", "promoter")
    admin = f.user(session, "admin", "admin")
    f.user(session, "leader", "leader")
    f.user(session, "ly", "manager", buildings=[b["E01"]])
    talks = lead(session, owner, "洽谈中的项目", "negotiation", 10 * M, [b["C01"]])
    lead(session, owner, "洽谈中的项目（重复）", "negotiation", 10 * M, [b["C01"]], merged_into=talks)
    lead(session, owner, "考察两栋楼的项目", "visit", 4 * M, [b["C01"], b["D01"]])
    lead(session, owner, "已退出的项目", "lost", 50 * M, [b["C01"]])
    lead(session, owner, "注册落地的项目", "registered", 20 * M, [b["F01"]])
    lead(session, owner, "已入驻的项目", "settled", 100 * M, [b["F01"]])
    lead(session, owner, "搁置的项目", "paused", 30 * M, [b["F01"]])
    session.commit()
    return {"buildings": b, "companies": co, "admin": admin}


def authz_tax_world(session, world) -> dict:
    """Builder for the authorization matrix: tax for building A, so the tax pages and the
    candidate report answer with data (a report without data is refused, not empty)."""
    add_tax(session, world["company_obj"], world["a"], months(2025) + months(2026, 1, 10), 1 * M)
    session.flush()
    refresh_rollup(session)
    return {}
