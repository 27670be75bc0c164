"""How numbers read (crm/formats.py, shared by the Jinja filters and the PDF builders): rounded
half-up (四舍五入) where Python would round half to even, 亿元 from ¥100 m, partial years labelled."""

from __future__ import annotations

from decimal import Decimal

import pytest
from markupsafe import Markup

from crm import formats
from crm.web.formatting import change


@pytest.mark.parametrize(
    "value, expected",
    [
        (500, "0.1"),  # 0.05 万元: half-even would print 0.0
        (Decimal("499.99"), "0.0"),
        (1_500, "0.2"),  # 0.15: half-even 0.2, as float 0.1
        (2_500, "0.3"),  # 0.25: half-even 0.2
        (-500, "-0.1"),
        (-400, "0.0"),  # never −0.0
        (12_345_000, "1,234.5"),
        (99_999_499, "9,999.9"),
        (Decimal("99999999.99"), "1.00 亿元"),  # would round to 10,000.0 万元
        (758_391_000, "7.58 亿元"),
        (100_500_000, "1.01 亿元"),  # 1.005: half-even 1.00
        (None, "—"),
    ],
)
def test_wan_is_half_up_and_switches_to_yi(value, expected):
    assert formats.wan(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (500, "0.1 万元"),
        (50_000_000, "5,000.0 万元"),
        (100_000_000, "1.00 亿元"),
        (7_583_910_000, "75.84 亿元"),
        (-250_000_000, "-2.50 亿元"),
    ],
)
def test_money_in_prose(value, expected):
    assert formats.money(value) == expected


def test_areas_percentages_and_points_are_half_up():
    assert (formats.area(Decimal("2.5")), formats.area(Decimal("1234.5")), formats.area_exact(Decimal("0.125"))) == (
        "3",
        "1,235",
        "0.13",
    )
    assert (formats.yuan(Decimal("38333.5")), formats.count(12345)) == ("38,334", "12,345")
    assert (formats.percent(0.7235), formats.percent(0.00125), formats.percent(0.0), formats.percent(None)) == (
        "72.4%",
        "0.1%",
        "0.0%",
        "—",
    )
    assert (
        formats.signed_percent(0.1235),
        formats.signed_percent(-0.4),
        formats.points(-0.05),
        formats.points(0.04),
    ) == ("+12.4%", "-40.0%", "-0.1", "0.0")
    assert change(0.1235, "同比") == Markup('<span class="rise">同比 ↑12.4%</span>')
    assert change(-0.0004, "较上月") == Markup('<span class="text-muted">较上月 持平</span>')  # rounds to 0.0
    assert change(-2.25, "较上月", points=True) == Markup('<span class="fall">较上月 ↓2.3 个百分点</span>')


def test_chart_amounts_read_in_yi_when_any_reaches_it():
    assert formats.chart_amounts([5_000_000, 12_340_000]) == ([500.0, 1234.0], "万元")
    assert formats.chart_amounts([5_000_000, 312_345_678]) == ([0.05, 3.12], "亿元")
    assert formats.chart_percent(0.72345) == 72.3 and formats.chart_percent(None) == 0.0


@pytest.mark.parametrize(
    "months, expected",
    [
        ((1, 12), "2025年"),
        ((12, 12), "2025年（12月）"),
        ((1, 10), "2025年（1–10月）"),
        ((11, 12), "2025年（11–12月）"),
    ],
)
def test_year_labels_name_the_months_of_a_partial_year(months, expected):
    assert formats.year_label(2025, *months) == expected
