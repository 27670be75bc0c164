"""The 亿元楼 candidate list on a hand-built district (tests/candidate_district.py): every number
of the JSON against the values worked out by hand there."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Setting
from crm.services.candidates import as_json, candidate_report, project, resolve_period
from crm.services.errors import DomainError, NotFound
from tests import candidate_district as district


@pytest.fixture()
def data(session):
    return district.build(session)


def test_every_number_of_the_report_matches_the_hand_computation(session, data):
    report = as_json(candidate_report(session, 2026, "2026-06"))
    expected = district.EXPECTED
    assert {k: v for k, v in report.items() if k != "candidates"} == {
        k: v for k, v in expected.items() if k != "candidates"
    }
    assert [c["code"] for c in report["candidates"]] == [c["code"] for c in expected["candidates"]]
    for got, want in zip(report["candidates"], expected["candidates"]):
        assert got.keys() == want.keys()
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, abs=0.005), (want["code"], key)
            else:
                assert got[key] == value, (want["code"], key)


def test_building_that_crossed_the_threshold_is_this_years_yi_not_a_candidate(session, data):
    report = candidate_report(session, 2026, "2026-06")
    assert [r.code for r in report.yi_buildings] == ["B01"]
    assert "B01" not in [r.code for r in report.candidates]
    # In May it had not crossed yet (85 m): then it is a candidate, 85 m × 84 m ÷ 35 m = 204 m.
    may = candidate_report(session, 2026, "2026-05")
    b = next(r for r in may.candidates if r.code == "B01")
    assert b.ytd == Decimal("85000000.00") and b.projection == Decimal("204000000.00")
    assert may.yi_buildings == []


def test_fallback_formula_without_a_full_previous_year(session, data):
    c = next(r for r in candidate_report(session, 2026, "2026-06").candidates if r.code == "C01")
    assert not c.full_prev_year
    assert c.projection == Decimal("75000000.00")  # 37.5 m × 12 ÷ 6
    assert project(Decimal("100"), Decimal("50"), Decimal("300"), True, 6) == Decimal("600.00")
    assert project(Decimal("100"), Decimal("0"), Decimal("300"), True, 4) == Decimal("300.00")


def test_tax_stays_with_the_building_a_company_left(session, data):
    rows = {r.code: r for r in candidate_report(session, 2026, "2026-06").candidates}
    # x paid 4 m a month to E in 2025 and to F in 2026: E keeps last year, F gets this year.
    assert rows["E01"].annual_prev == Decimal("120000000.00")
    assert rows["E01"].ytd == Decimal("36000000.00")
    assert rows["F01"].ytd == Decimal("42000000.00")


def test_candidate_threshold_and_basis_come_from_the_settings(session, data):
    session.add(Setting(key="candidate_threshold", value="80000000"))
    session.commit()
    report = candidate_report(session, 2026, "2026-06")
    assert report.candidate_threshold == Decimal("80000000")
    assert [r.code for r in report.candidates] == ["A01", "F01"]

    session.add(Setting(key="tier_basis", value="district"))
    session.get(Setting, "candidate_threshold").value = "50000000"
    session.commit()
    data = as_json(candidate_report(session, 2026, "2026-06"))
    # 区级 is 40 %: nobody reaches 100 m; B 40.8 m × 33.6 m ÷ 16.8 m = 81.6 m is the only candidate.
    assert data["basis"] == "district" and data["yi_buildings"] == []
    assert [(c["code"], c["ytd"], c["projection"]) for c in data["candidates"]] == [("B01", 40_800_000.0, 81_600_000.0)]


def test_a_year_or_month_without_data_is_refused(session, data):
    with pytest.raises(NotFound, match="没有 2031年 的税收数据"):
        candidate_report(session, 2031)
    with pytest.raises(NotFound, match="没有 2026年7月 的税收数据"):
        candidate_report(session, 2026, "2026-07")
    with pytest.raises(DomainError, match="不在 2025 年内"):
        candidate_report(session, 2025, "2026-03")
    with pytest.raises(DomainError, match="月份格式不正确"):
        candidate_report(session, 2026, "2026-13")


def test_default_as_of_is_the_latest_month_with_data(session, data):
    assert resolve_period(session, 2026, None).as_of == "2026-06"
    assert resolve_period(session, None, None).as_of == "2026-06"
    assert resolve_period(session, 2025, None).as_of == "2025-12"
    assert resolve_period(session, None, None, latest_allowed="2026-03").as_of == "2026-03"


def test_no_tax_at_all_is_refused(session):
    with pytest.raises(NotFound, match="没有任何税收数据"):
        candidate_report(session)


def _row(gap, vacancy, pipeline):
    from crm.services.candidates import BuildingRow

    D = Decimal
    return BuildingRow(
        code="X01",
        name="X",
        street="八一路",
        tier_prev=None,
        ytd=D(0),
        ytd_prev=D(0),
        annual_prev=D(0),
        full_prev_year=True,
        projection=D(100_000_000) - D(gap),
        gap=D(gap),
        vacant_area=D(0),
        occupied_area=D(0),
        tax_per_m2=None,
        vacancy_potential=None if vacancy is None else D(vacancy),
        pipeline_potential=D(pipeline),
    )


@pytest.mark.parametrize(
    "gap, vacancy, pipeline, expected",
    [
        (
            12_260_000,
            8_000_000,
            3_470_000,
            "差 1,226.0 万元；空置可补 800.0 万元，储备项目可补 347.0 万元，仍缺 79.0 万元",
        ),
        (
            5_000_000,
            6_000_000,
            1_000_000,
            "差 500.0 万元；空置可补 600.0 万元，储备项目可补 100.0 万元，填满空置即可达标",
        ),
        (
            5_000_000,
            1_000_000,
            5_000_000,
            "差 500.0 万元；空置可补 100.0 万元，储备项目可补 500.0 万元，储备项目落地即可达标",
        ),
        (
            5_000_000,
            3_000_000,
            2_000_000,
            "差 500.0 万元；空置可补 300.0 万元，储备项目可补 200.0 万元，填满空置且储备项目落地可达标",
        ),
        (
            5_000_000,
            None,
            250,
            "差 500.0 万元；空置潜力无法估算（月末无已出租面积），储备项目可补 0.0 万元，仍缺 500.0 万元",
        ),
        (0, 0, 0, "按当前进度可达标"),
    ],
)
def test_the_verdict_states_gap_vacancy_pipeline_and_what_is_missing(gap, vacancy, pipeline, expected):
    from crm.services.candidates import verdict

    assert verdict(_row(gap, vacancy, pipeline), was_yi=False) == expected


def test_a_stage_move_shows_at_once_and_leaves_an_earlier_report_as_it_was(session, data):
    """The listing is kept under buildings, tax and settings; the pipeline potential (and the
    verdict weighing it) is added to a copy on each call."""
    from sqlalchemy import select

    from crm.models import Lead

    def potential_of_c01(report):
        return next(row.pipeline_potential for row in report.candidates if row.code == "C01")

    before = candidate_report(session, 2026, "2026-06")
    assert potential_of_c01(before) == Decimal("5700000.00")  # 10M × 50 % + 4M × 35 % ÷ 2
    talks = session.scalar(select(Lead).where(Lead.company_name == "洽谈中的项目"))
    talks.stage = "lost"
    session.commit()
    after = candidate_report(session, 2026, "2026-06")
    assert potential_of_c01(after) == Decimal("700000.00")
    assert potential_of_c01(before) == Decimal("5700000.00")
    assert [row.code for row in after.candidates] == [row.code for row in before.candidates]
