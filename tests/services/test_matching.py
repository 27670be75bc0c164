"""载体匹配 on a hand-made district: adjacency, tolerance, the score, and reserving."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.models import Setting, UnitReservation
from crm.services.errors import DomainError
from crm.services.matching import MAX_UNITS, _best_window_per_floor, match_units, reserve_units
from crm.services.units import unit_states
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def scene(session):
    zs = f.user(session, "zs", "promoter")
    a = f.building(session, "A01", "甲科技大厦", positioning="数字技术服务、科技服务")
    b = f.building(session, "B01", "乙金融中心", positioning="金融服务")
    a1, a2, a3, a4 = (
        f.unit(session, a, 5, n, area) for n, area in [("01", 200), ("02", 300), ("03", 250), ("04", 400)]
    )
    b1 = f.unit(session, b, 2, "01", 500)
    f.unit(session, b, 2, "02", 100, self_use=True)
    soon = f.unit(session, b, 3, "01", 480)  # let from next month: not free today
    tenant = f.company(session, "大连在驻软件有限公司", industry_group="数字技术服务")
    f.lease(session, tenant, a, [a4], date(2025, 1, 1), date(2027, 12, 31))
    f.lease(session, f.company(session), b, [soon], date(2026, 12, 1))
    f.tax(session, tenant, "2026-05", 400_000, building=a)  # 400,000 ÷ 400 m² = 1,000 yuan/m²
    lead = f.lead(
        session, zs, "意向企业", stage="negotiation", intended_area=Decimal("500"), industry_group="数字技术服务"
    )
    return {"zs": zs, "a": a, "b": b, "units": (a1, a2, a3, a4, b1, soon), "lead": lead}


def test_ranks_single_units_and_adjacent_runs_by_the_score(session, scene):
    result = match_units(session, scene["lead"], TODAY)
    assert (result.low, result.high) == (Decimal("400.00"), Decimal("600.00"))
    rows = [(c.building.code, c.floor, c.label, c.area, c.score, c.scores) for c in result.candidates]
    # A 5F: 01+02 = 500 fits exactly (02+03 = 550 fits worse; 04 is let). B 2F: 01 = 500.
    assert rows == [
        (
            "A01",
            5,
            "5F-01、5F-02",
            Decimal("500.00"),
            100.0,
            {"area": 40.0, "positioning": 25, "cluster": 20.0, "tax": 15.0},
        ),
        ("B01", 2, "2F-01", Decimal("500.00"), 40.0, {"area": 40.0, "positioning": 0.0, "cluster": 0.0, "tax": 0.0}),
    ]
    assert result.candidates[0].tax_per_m2 == Decimal("1000.00") and result.candidates[0].cluster_share == 1.0


def test_tolerance_is_a_setting(session, scene):
    session.add(Setting(key="matching_area_tolerance", value="0.05"))
    scene["lead"].intended_area = Decimal("540")  # ±5 %: 513–567 → only A 02+03 = 550
    result = match_units(session, scene["lead"], TODAY)
    assert [(c.label, c.scores["area"]) for c in result.candidates] == [
        ("5F-02、5F-03", pytest.approx(40 * (1 - 10 / 27), abs=0.1))
    ]


def test_no_area_or_no_fit_says_what_to_do(session, scene):
    scene["lead"].intended_area = None
    assert "意向面积" in match_units(session, scene["lead"], TODAY).problem
    scene["lead"].intended_area = Decimal("5000")
    result = match_units(session, scene["lead"], TODAY)
    assert result.candidates == [] and "4,000–6,000" in result.problem


def test_reserving_marks_units_and_hides_them_from_other_leads(session, scene):
    lead, other = scene["lead"], f.lead(session, scene["zs"], "另一家", stage="visit", intended_area=Decimal("500"))
    b1 = scene["units"][4]
    reserve_units(session, lead, [b1.id], date(2026, 12, 31), scene["zs"], TODAY)
    assert b1.reserved_until == date(2026, 12, 31)
    assert session.query(UnitReservation).filter_by(lead_id=lead.id, unit_id=b1.id).count() == 1
    assert {s.unit.number: s.status for s in unit_states(session, scene["b"], TODAY) if s.unit.floor == 2}[
        "01"
    ] == "reserved"
    assert "B01" in {c.building.code for c in match_units(session, lead, TODAY).candidates}  # its own hold
    assert "B01" not in {c.building.code for c in match_units(session, other, TODAY).candidates}
    with pytest.raises(DomainError, match="不是空置状态"):
        reserve_units(session, other, [b1.id], date(2026, 12, 31), scene["zs"], TODAY)


@pytest.mark.parametrize(
    "units, until, message",
    [
        ("let", date(2026, 12, 31), "不是空置状态"),
        ("soon", date(2026, 12, 31), "不是空置状态"),
        ("free", date(2026, 11, 15), "晚于今天"),
        ("free", date(2027, 12, 31), "最长 180 天"),
    ],
)
def test_reserving_refuses_what_is_not_free_or_bad_dates(session, scene, units, until, message):
    a1, a2, a3, a4, b1, soon = scene["units"]
    ids = {"let": [a4.id], "soon": [soon.id], "free": [a1.id]}[units]
    with pytest.raises(DomainError, match=message):
        reserve_units(session, scene["lead"], ids, until, scene["zs"], TODAY)
    assert a1.reserved_until is None


# A floor as a list of units: an area, or None for a unit that cannot be part of a candidate
# (let, self-use, held, too big). Areas are whole m², so sums compare exactly.
floors_strategy = st.lists(
    st.lists(st.one_of(st.none(), st.integers(50, 600)), min_size=1, max_size=14), min_size=1, max_size=4
)


def brute_force_best(floors, low, high, target):
    """Every run of 1…MAX_UNITS consecutive usable units on each floor, the closest to target kept."""
    best = {}
    for floor, units in enumerate(floors):
        for first in range(len(units)):
            for k in range(1, MAX_UNITS + 1):
                run = units[first : first + k]
                if len(run) < k or None in run:
                    break
                if low <= sum(run) <= high:
                    window = (1, floor, first + 1, k, sum(run))
                    held = best.get((1, floor))
                    if held is None or (abs(sum(run) - target), k, first + 1) < (
                        abs(held[4] - target),
                        held[3],
                        held[2],
                    ):
                        best[(1, floor)] = window
    return best


@settings(max_examples=300)
@given(floors_strategy, st.integers(100, 1500))
def test_the_window_search_finds_the_best_run_of_adjacent_free_units_per_floor(floors, intended):
    low, high = intended * 0.8, intended * 1.2
    free_units = [
        (1, floor, position + 1, area)
        for floor, units in enumerate(floors)
        for position, area in enumerate(units)
        if area is not None
    ]
    assert _best_window_per_floor(free_units, low, high, intended) == brute_force_best(floors, low, high, intended)
