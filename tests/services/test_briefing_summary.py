"""本月综述 (crm.services.briefing_summary): the sentences of the briefing's first page, from
hand-written briefing data and hand-computed figures — no database."""

from __future__ import annotations

import copy

import pytest

from crm.services.briefing_summary import (
    attention_sentence,
    candidates_sentence,
    confirmation_sentence,
    issue_label,
    occupancy_sentence,
    summary_sentences,
    tax_sentence,
)


def mover(kind, code, name, area, companies):
    return {"kind": kind, "building": code, "name": name, "area": area, "companies": companies}


BASE = {
    "month": "2026-11",
    "month_label": "2026年11月",
    "target_occupancy": 0.7,
    "tax_imported": True,
    "headline": {
        # 1,000,000 m² leasable; 801,024 → 800,000 occupied: −1,024 ÷ 1,000,000 = −0.1024 points.
        "leasable_area": {"value": 1_000_000, "change_month": 0},
        "occupied_area": {
            "value": 800_000,
            "change_month": -1024,
            "movers": [mover("moved_out", "K01", "凯旋商城C座", 1024.0, 2)],
        },
        "occupancy": {"value": 0.8, "change_month": -0.1024},
        "tax_month": {"value": 350_000, "change_month": 0.75},
    },
    "tax": {"tax_ytd": 10_550_000, "tax_ytd_change": 10_550_000 / 12_250_000 - 1},
    "buildings": [
        {"code": "A01", "name": "甲大厦", "occupancy": 0.95, "tax_ytd": 10_500_000, "tax_ytd_prev": 100_000},
        {"code": "B01", "name": "乙大厦", "occupancy": 0.65, "tax_ytd": 50_000, "tax_ytd_prev": 12_150_000},
        {"code": "K01", "name": "凯旋商城C座", "occupancy": 0.72, "tax_ytd": 0, "tax_ytd_prev": 0},
    ],
    "watch": {"occupancy_drops": [], "expiring_large_taxpayers": [], "left_district": []},
    "yi": {"available": True, "yi_so_far": [], "candidates": []},
    "pipeline": {
        "new_leads": 4,
        "signed": [{}, {}],
        "landed_month": 1,
        "active_count": 12,
        "active_weighted_tax": 3_456_780,
    },
    "confirmation": {"buildings": 35, "all_confirmed": True, "unconfirmed": []},
    "sections": [],
}


@pytest.fixture()
def data():
    return copy.deepcopy(BASE)


def test_issue_number_is_the_months_number():
    assert issue_label("2026-11") == "2026年第11期"
    assert issue_label("2027-01") == "2027年第1期"


def test_a_small_fall_is_explained_by_the_building_that_lost_tenants(data):
    assert (
        occupancy_sentence(data) == "全区入驻率80.0%，较上月下降0.1个百分点，主要因凯旋商城C座2家企业迁出（1,024 m²）。"
    )


def test_points_round_half_up(data):
    data["headline"]["occupancy"]["change_month"] = -0.05  # round() would print 0.0 and say 持平
    assert "较上月下降0.1个百分点" in occupancy_sentence(data)
    data["headline"]["occupancy"]["change_month"] = -0.04
    assert occupancy_sentence(data) == "全区入驻率80.0%，与上月持平。"


def test_a_rise_names_the_two_largest_arrivals_and_sums_what_went_the_other_way(data):
    data["headline"]["occupancy"]["change_month"] = 0.4
    data["headline"]["occupied_area"]["change_month"] = 4000
    data["headline"]["occupied_area"]["movers"] = [
        mover("moved_in", "A01", "甲大厦", 3000.0, 2),
        mover("moved_in", "B01", "乙大厦", 1500.0, 1),
        mover("moved_out", "D01", "丁大厦", 800.0, 1),
        mover("moved_in", "C01", "丙大厦", 500.0, 1),
        mover("lapsed", "E01", "戊大厦", 200.0, 1),
    ]
    assert occupancy_sentence(data) == (
        "全区入驻率80.0%，较上月上升0.4个百分点，主要因甲大厦新入驻2家企业（3,000 m²）、乙大厦新入驻1家企业（1,500 m²）；"
        "同期迁出及到期未处置共2家企业（1,000 m²）。"
    )


def test_one_building_named_once_and_a_single_counter_move_named(data):
    data["headline"]["occupancy"]["change_month"] = -38.095
    data["headline"]["occupied_area"]["change_month"] = -800
    data["headline"]["occupied_area"]["movers"] = [
        mover("moved_out", "B01", "乙大厦", 600.0, 1),
        mover("lapsed", "B01", "乙大厦", 400.0, 1),
        mover("moved_in", "A01", "甲大厦", 200.0, 1),
    ]
    assert occupancy_sentence(data) == (
        "全区入驻率80.0%，较上月下降38.1个百分点，主要因乙大厦1家企业迁出（600 m²）、1家企业租约到期未处置（400 m²）；"
        "同期甲大厦新入驻1家企业（200 m²）。"
    )


def test_a_fall_from_more_leasable_area_says_so(data):
    data["headline"]["occupied_area"].update(change_month=0, movers=[])
    data["headline"]["leasable_area"]["change_month"] = 10_000
    data["headline"]["occupancy"]["change_month"] = -0.79
    assert occupancy_sentence(data) == "全区入驻率80.0%，较上月下降0.8个百分点，主要因可租面积增加10,000 m²。"


def test_a_fall_without_moves_points_to_the_bridge(data):
    data["headline"]["occupied_area"]["movers"] = []
    assert occupancy_sentence(data).endswith("主要因单元变动等其他因素（见变动说明）。")


def test_tax_names_the_building_behind_the_year_on_year_change(data):
    # YTD 1,055.0 万元 against 1,225.0: −13.877 % → 13.9 %; 乙大厦 5.0 against 1,215.0: −1,210.0 万元.
    assert tax_sentence(data) == (
        "本月税收35.0 万元，较上月增长75.0%；本年累计税收1,055.0 万元，同比下降13.9%，主要因乙大厦减少1,210.0 万元。"
    )


def test_tax_not_yet_imported_and_no_last_year(data):
    data["tax_imported"] = False
    data["tax"]["tax_ytd_change"] = None
    assert tax_sentence(data) == "2026年11月税收数据尚未导入；本年累计税收1,055.0 万元（上年同期无税收数据）。"


def test_a_rising_year_names_the_largest_gain(data):
    data["tax"]["tax_ytd_change"] = 0.2
    assert tax_sentence(data).endswith("同比增长20.0%，主要因甲大厦增加1,040.0 万元。")


def test_attention_names_drops_buildings_below_target_expiring_taxpayers_and_departures(data):
    data["watch"] = {
        "occupancy_drops": [{"code": "B01", "name": "乙大厦", "occupancy": 0.65, "change_points": -6.25}],
        "expiring_large_taxpayers": [
            {"company": "甲一科技有限公司", "building": "甲大厦", "end_date": "2027-03-31"},
            {"company": "甲二咨询有限公司", "building": "甲大厦", "end_date": "2027-04-30"},
        ],
        "left_district": [{"company": "乙二金融有限公司"}],
    }
    assert attention_sentence(data) == (
        "需关注：乙大厦入驻率降至65.0%（下降6.3个百分点）；1栋楼宇入驻率低于70%目标（乙大厦）；"
        "2家大额纳税企业租约即将到期（最早为甲一科技有限公司，甲大厦，2027-03-31到期）；1家企业本月迁出本区（乙二金融有限公司）。"
    )


def test_attention_lists_three_buildings_then_etc(data):
    data["buildings"] = [{"code": f"X{i}", "name": f"楼{i}", "occupancy": 0.1 * i} for i in range(1, 6)]
    data["watch"] = {"occupancy_drops": [], "expiring_large_taxpayers": [], "left_district": []}
    # 10 %, 20 %, … 60 % are below 70 %; lowest first.
    assert attention_sentence(data) == "需关注：5栋楼宇入驻率低于70%目标（楼1、楼2、楼3等）。"


def test_nothing_to_watch(data):
    data["buildings"] = [dict(b, occupancy=0.9) for b in data["buildings"]]
    assert attention_sentence(data) == "本月没有需要特别关注的楼宇和企业。"


def test_candidates_name_the_nearest_with_the_reports_verdict(data):
    verdict = "差 1,226.0 万元；空置可补 800.0 万元，储备项目可补 347.0 万元，仍缺 79.0 万元"
    data["yi"] = {
        "available": True,
        "yi_so_far": [{"name": "环球金融中心"}],
        "candidates": [
            {
                "code": "A01",
                "name": "甲大厦",
                "projection": 120_000_000,
                "gap": -20_000_000,
                "verdict": "按当前进度可达标",
            },
            {
                "code": "C01",
                "name": "丙大厦",
                "projection": 70_000_000,
                "gap": 30_000_000,
                "verdict": "差 3,000.0 万元",
            },
            {"code": "B01", "name": "乙大厦", "projection": 87_740_000, "gap": 12_260_000, "verdict": verdict},
        ],
    }
    assert candidates_sentence(data) == (
        "环球金融中心本年累计税收已达亿元楼门槛；准亿元楼甲大厦按当前进度可达标；"
        f"距亿元楼门槛最近的是乙大厦（预计全年8,774.0 万元），{verdict}。"
    )


def test_no_candidate_sentence_without_candidates(data):
    assert candidates_sentence(data) == ""
    data["yi"] = {"available": False}
    assert candidates_sentence(data) == ""


def test_the_paragraph_in_order_with_an_extra_sections_sentence(data):
    data["sections"] = [
        {"key": "warnings", "title": "预警", "summary": "本月触发预警3条。"},
        {"key": "quiet", "title": "无话", "summary": ""},
    ]
    assert summary_sentences(data) == [
        "全区入驻率80.0%，较上月下降0.1个百分点，主要因凯旋商城C座2家企业迁出（1,024 m²）。",
        "本月税收35.0 万元，较上月增长75.0%；本年累计税收1,055.0 万元，同比下降13.9%，主要因乙大厦减少1,210.0 万元。",
        "需关注：1栋楼宇入驻率低于70%目标（乙大厦）。",
        "本月新增招商项目4个、签约2个、入驻1个；在谈项目12个，按阶段概率加权预计年税收345.7 万元。",
        "本月触发预警3条。",
    ]


def test_confirmation_says_how_many_not_which(data):
    assert confirmation_sentence(data) == "全部35栋楼宇均已确认2026年11月数据。"
    data["confirmation"] = {
        "buildings": 35,
        "all_confirmed": False,
        "unconfirmed": [{"code": c, "name": c, "street": "白云"} for c in ("X1", "X2", "X3")],
    }
    assert confirmation_sentence(data) == "3栋楼宇本月数据尚未确认（其数字按现有租约推算），见附录。"
