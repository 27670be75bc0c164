"""Building tax (DESIGN.md "Tax record", "Building tax", "Tiers"): the roll-up, sums per building and
period, monthly totals, tiers at their exact thresholds and the 区级 basis setting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.models import BuildingTaxMonth, Setting, TaxRecord
from crm.services.tax import (
    company_tax_totals,
    latest_tax_period,
    monthly_totals,
    refresh_rollup,
    tax_by_building,
    tax_by_building_and_period,
    tier_rules,
    window_sum,
)

try:
    from tests import factories as f
except ImportError:  # tests/ is not a package: pytest puts tests/ itself on sys.path
    import factories as f

D = Decimal


@pytest.fixture()
def world(session):
    """Two buildings, four companies, six records (yuan):

    period   company  building  total      district
    2026-01  A        B1        1,000.50   300.10
    2026-01  B        B1        2,000.25   (none)
    2026-02  A        B1          500.00   150.00
    2026-01  C        B2        4,000.00  1,000.00
    2026-03  C        B2          800.00   200.00
    2026-01  D        (none)    9,999.00  3,000.00   ← no building: in no building's sum
    """
    b1, b2 = f.building(session, "B1"), f.building(session, "B2")
    a, b, c, d = (f.company(session) for _ in range(4))
    f.tax(session, a, "2026-01", "1000.50", "300.10", building=b1)
    f.tax(session, b, "2026-01", "2000.25", None, building=b1)
    f.tax(session, a, "2026-02", "500.00", "150.00", building=b1)
    f.tax(session, c, "2026-01", "4000.00", "1000.00", building=b2)
    f.tax(session, c, "2026-03", "800.00", "200.00", building=b2)
    f.tax(session, d, "2026-01", "9999.00", "3000.00", building=None)
    return {"b1": b1, "b2": b2, "a": a, "b": b, "c": c, "d": d}


def rollup_rows(session):
    return {
        (r.building_id, r.period): (r.total_tax, r.district_tax, r.records)
        for r in session.scalars(select(BuildingTaxMonth))
    }


def test_rollup_rows(session, world):
    b1, b2 = world["b1"].id, world["b2"].id
    assert rollup_rows(session) == {
        # 1,000.50 + 2,000.25 = 3,000.75; district 300.10 + (none → not added) = 300.10; 2 records
        (b1, "2026-01"): (D("3000.75"), D("300.10"), 2),
        (b1, "2026-02"): (D("500.00"), D("150.00"), 1),
        (b2, "2026-01"): (D("4000.00"), D("1000.00"), 1),
        (b2, "2026-03"): (D("800.00"), D("200.00"), 1),
        # D's 9,999 has no building: no row at all
    }


def test_refresh_rollup_rebuilds_from_records(session, world):
    b1 = world["b1"].id
    session.execute(BuildingTaxMonth.__table__.delete())
    assert rollup_rows(session) == {}
    refresh_rollup(session)  # all periods
    assert len(rollup_rows(session)) == 4
    assert rollup_rows(session)[(b1, "2026-01")] == (D("3000.75"), D("300.10"), 2)


def test_refresh_rollup_of_one_period_picks_up_a_changed_and_a_deleted_record(session, world):
    b1, b2 = world["b1"].id, world["b2"].id
    record = session.scalar(select(TaxRecord).where(TaxRecord.company_id == world["b"].id))
    record.total_tax = D("1999.75")  # B1 2026-01 becomes 1,000.50 + 1,999.75 = 3,000.25
    session.flush()
    refresh_rollup(session, ["2026-01"])
    assert rollup_rows(session)[(b1, "2026-01")] == (D("3000.25"), D("300.10"), 2)
    # the other periods are left as they were
    assert rollup_rows(session)[(b2, "2026-03")] == (D("800.00"), D("200.00"), 1)

    session.delete(session.scalar(select(TaxRecord).where(TaxRecord.period == "2026-03")))
    session.flush()
    refresh_rollup(session, ["2026-03"])
    assert (b2, "2026-03") not in rollup_rows(session)
    assert len(rollup_rows(session)) == 3


def test_refresh_rollup_moves_tax_when_a_record_is_reattributed(session, world):
    b1, b2 = world["b1"].id, world["b2"].id
    record = session.scalar(
        select(TaxRecord).where(TaxRecord.company_id == world["a"].id, TaxRecord.period == "2026-02")
    )
    record.building_id = b2
    session.flush()
    refresh_rollup(session, ["2026-02"])
    assert tax_by_building(session, "2026-02", "2026-02") == {b2: D("500.00")}
    assert b1 not in tax_by_building(session, "2026-02", "2026-02")


def test_tax_by_building(session, world):
    b1, b2 = world["b1"].id, world["b2"].id
    # B1: 3,000.75 + 500 = 3,500.75; B2: 4,000 + 800 = 4,800; D's 9,999 nowhere
    assert tax_by_building(session, "2026-01", "2026-03") == {b1: D("3500.75"), b2: D("4800.00")}
    assert tax_by_building(session, "2026-02", "2026-02") == {b1: D("500.00")}
    assert tax_by_building(session, "2025-01", "2025-12") == {}
    # 区级: B1 300.10 + 150 = 450.10; B2 1,000 + 200 = 1,200
    assert tax_by_building(session, "2026-01", "2026-03", basis="district") == {b1: D("450.10"), b2: D("1200.00")}
    assert tax_by_building(session, "2026-01", "2026-12", building_ids=[b2]) == {b2: D("4800.00")}
    # the sum of the buildings is the district total minus the unattributed 9,999
    assert sum(tax_by_building(session, "2026-01", "2026-12").values()) == D("8300.75")


def test_tax_by_building_and_period(session, world):
    b1, b2 = world["b1"].id, world["b2"].id
    table = tax_by_building_and_period(session, "2026-01", "2026-03")
    assert dict(table) == {
        b1: {"2026-01": D("3000.75"), "2026-02": D("500.00")},
        b2: {"2026-01": D("4000.00"), "2026-03": D("800.00")},
    }
    assert dict(tax_by_building_and_period(session, "2026-02", "2026-03", [b2], "district")) == {
        b2: {"2026-03": D("200.00")}
    }
    # window_sum over a dict of months: B1 Feb..Mar = 500
    assert window_sum(table[b1], "2026-02", "2026-03") == D("500.00")
    assert window_sum({}, "2026-01", "2026-12") == 0


def test_monthly_totals_with_zero_months(session, world):
    b2 = world["b2"].id
    periods = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
    # 2026-01: 3,000.75 + 4,000 = 7,000.75 (D's 9,999 has no building); Feb 500; Mar 800; others 0
    assert monthly_totals(session, periods) == [D("0"), D("7000.75"), D("500.00"), D("800.00"), D("0")]
    assert monthly_totals(session, periods, [b2]) == [D("0"), D("4000.00"), D("0"), D("800.00"), D("0")]
    # district basis: Jan 300.10 + 1,000 = 1,300.10; Feb 150; Mar 200
    assert monthly_totals(session, periods, basis="district") == [
        D("0"),
        D("1300.10"),
        D("150.00"),
        D("200.00"),
        D("0"),
    ]


def test_latest_tax_period(session, world):
    assert latest_tax_period(session) == "2026-03"


def test_company_tax_totals(session, world):
    a, b, c, d = (world[k].id for k in "abcd")
    # A 1,000.50 + 500 = 1,500.50; B 2,000.25; C 4,000 + 800 = 4,800; D 9,999 (no building is fine here)
    assert company_tax_totals(session, [a, b, c, d], "2026-01", "2026-03") == {
        a: D("1500.50"),
        b: D("2000.25"),
        c: D("4800.00"),
        d: D("9999.00"),
    }
    assert company_tax_totals(session, [a, c], "2026-02", "2026-12") == {a: D("500.00"), c: D("800.00")}
    assert company_tax_totals(session, [], "2026-01", "2026-12") == {}


# --- tiers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, tier",
    [
        ("100000000", "yi"),
        ("100000000.00", "yi"),
        ("250000000", "yi"),
        ("99999999.99", "wuqianwan"),
        ("50000000", "wuqianwan"),
        ("49999999.99", "qianwan"),
        ("10000000", "qianwan"),
        ("9999999.99", None),
        ("0", None),
    ],
)
def test_tier_at_exact_thresholds(session, amount, tier):
    rules = tier_rules(session)
    assert rules.basis == "total"
    assert rules.tier_of(D(amount)) == tier


def test_tier_of_none_is_none(session):
    assert tier_rules(session).tier_of(None) is None


def test_tier_thresholds_are_settings(session):
    session.add(Setting(key="tier_qianwan", value="5000000"))
    session.flush()
    rules = tier_rules(session)
    assert rules.thresholds["qianwan"] == D("5000000")
    assert rules.tier_of(D("5000000")) == "qianwan"
    assert rules.tier_of(D("4999999.99")) is None
    assert rules.tier_of(D("100000000")) == "yi"  # the others keep their defaults


def test_district_basis_setting(session, world):
    session.add(Setting(key="tier_basis", value="district"))
    session.flush()
    rules = tier_rules(session)
    assert rules.basis == "district"
    b1 = world["b1"].id
    # with the rules' basis the sums are the 区级 ones: B1 300.10 + 150 = 450.10
    assert tax_by_building(session, "2026-01", "2026-12", basis=rules.basis)[b1] == D("450.10")
