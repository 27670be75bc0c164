"""Numbers and dates as people type them: one reader for forms, the API and imports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.io import parsers
from crm.services import bounds, typed
from crm.services.errors import DomainError


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1200.5", Decimal("1200.5")),
        ("1,200.5", Decimal("1200.5")),
        ("1，200.5", Decimal("1200.5")),  # the comma a Chinese input method types
        ("１２００．５", Decimal("1200.5")),  # full-width digits and full stop
        ("１，２００", Decimal("1200")),
        (" 3,000 元 ", Decimal("3000")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("-12", Decimal("-12")),
    ],
)
def test_numbers_in_every_way_people_type_them(raw, expected):
    assert typed.number_of(raw, "面积") == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("约一百平", "面积应为数字，当前为“约一百平”"),
        ("NaN", "面积应为数字，当前为“NaN”"),
        ("1.2.3", "面积应为数字，当前为“1.2.3”"),
        (",", "面积应为数字，当前为“,”"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field(raw, message):
    with pytest.raises(typed.Unreadable) as refused:
        typed.number_of(raw, "面积")
    assert refused.value.message == message


def test_whole_numbers_take_separators_but_refuse_fractions():
    assert typed.whole_number_of("１,２００", "从业人数") == 1200
    with pytest.raises(typed.Unreadable, match="从业人数应为整数，当前为“12.5”"):
        typed.whole_number_of("12.5", "从业人数")


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-28",
        "2026/11/28",
        "2026.11.28",
        "2026年11月28日",
        "２０２６年１１月２８日",
        "20261128",
        " 2026 / 11 / 28 ",
    ],
)
def test_dates_in_every_accepted_format(raw):
    assert typed.day_of(raw, "迁出日期") == date(2026, 11, 28)


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            "28/11/2026",
            "请按 2026-11-28 的格式填写迁出日期（也可写 2026/11/28、2026.11.28 或 2026年11月28日），当前为“28/11/2026”",
        ),
        ("明天", "请按 2026-11-28 的格式填写迁出日期"),
        ("2026-02-30", "迁出日期“2026-02-30”不存在，请核对年月日"),
        ("2026.13.01", "迁出日期“2026.13.01”不存在"),
    ],
)
def test_bad_dates_name_the_expected_format(raw, message):
    with pytest.raises(typed.Unreadable) as refused:
        typed.day_of(raw, "迁出日期")
    assert refused.value.message.startswith(message)


def test_imports_and_the_api_read_typed_text_the_same_way():
    assert parsers.decimal_number("1，200.5", "面积") == Decimal("1200.5")
    assert parsers.integer("1,200", "从业人数") == 1200
    assert parsers.day("2026.11.28") == date(2026, 11, 28)
    assert bounds.decimal_of("１,２００.５", "意向面积", "intended_area") == Decimal("1200.5")
    with pytest.raises(parsers.CellError, match="请按 2026-11-28 的格式填写日期"):
        parsers.day("28/11/2026")
    with pytest.raises(DomainError, match="意向面积应为数字") as refused:
        bounds.decimal_of("六百", "意向面积", "intended_area")
    assert refused.value.field == "intended_area"
