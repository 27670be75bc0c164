"""Months as YYYY-MM: parsing, shifting across years, month ends, windows, last complete month."""

from __future__ import annotations

from datetime import date

import pytest

from crm.services import periods as P
from crm.services.errors import DomainError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-10", "2026-10"),
        ("2026-01", "2026-01"),
        ("2026-12", "2026-12"),
        ("  2025-07 ", "2025-07"),  # surrounding blanks from a form are tolerated
    ],
)
def test_parse_period_good(text, expected):
    assert P.parse_period(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "abc", "", "   ", None, "2026/10", "202610", "2026-10-01", "26-10"]
)
def test_parse_period_bad(text):
    with pytest.raises(DomainError) as info:
        P.parse_period(text, field="as_of")
    assert "YYYY-MM" in info.value.message
    assert info.value.field == "as_of"


def test_parse_period_result_is_a_canonical_ascii_period():
    # A Chinese input method types full-width digits (２０２６-１０). Either they are turned into the
    # canonical '2026-10' or refused; a non-ASCII period must never come back, because periods are
    # compared as text in SQL ('２０２６-１０' > '2026-12' as text) and would silently match nothing.
    try:
        result = P.parse_period("２０２６-１０")
    except DomainError:
        return
    assert result == "2026-10"


@pytest.mark.parametrize(
    "period, months, expected",
    [
        ("2026-10", 0, "2026-10"),
        ("2026-10", 2, "2026-12"),
        ("2026-12", 1, "2027-01"),  # Dec + 1 → Jan of the next year
        ("2026-01", -1, "2025-12"),  # Jan − 1 → Dec of the previous year
        ("2026-10", -12, "2025-10"),
        ("2026-10", -11, "2025-11"),  # first month of the 12 ending 2026-10
        ("2026-03", -27, "2023-12"),  # 2026·12 + 2 − 27 = 24287 → 24287 // 12 = 2023, 24287 % 12 = 11 → Dec
        ("2026-11", 14, "2028-01"),  # 2026·12 + 10 + 14 = 24336 → 2028, month 0 + 1 = 1
    ],
)
def test_shift(period, months, expected):
    assert P.shift(period, months) == expected


@pytest.mark.parametrize(
    "period, expected",
    [
        ("2024-02", date(2024, 2, 29)),  # 2024 is a leap year
        ("2026-02", date(2026, 2, 28)),
        ("1900-02", date(1900, 2, 28)),  # divisible by 100, not by 400: not a leap year
        ("2000-02", date(2000, 2, 29)),  # divisible by 400: leap year
        ("2026-04", date(2026, 4, 30)),
        ("2026-12", date(2026, 12, 31)),
        ("2026-01", date(2026, 1, 31)),
    ],
)
def test_month_end(period, expected):
    assert P.month_end(period) == expected


def test_month_start():
    assert P.month_start("2026-02") == date(2026, 2, 1)


def test_months_ending_is_oldest_first_and_crosses_the_year():
    assert P.months_ending("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert P.months_ending("2026-10", 1) == ["2026-10"]


def test_months_ending_24():
    months = P.months_ending("2026-10", 24)
    assert len(months) == 24
    assert months[0] == "2024-11"  # 2026-10 − 23 months
    assert months[-1] == "2026-10"
    assert months == sorted(months)
    assert len(set(months)) == 24


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2026, 11, 15), "2026-10"),
        (date(2026, 11, 1), "2026-10"),
        (date(2026, 1, 1), "2025-12"),  # in January the last complete month is last December
        (date(2026, 1, 31), "2025-12"),
        (date(2026, 12, 31), "2026-11"),
    ],
)
def test_last_complete_month(today, expected):
    assert P.last_complete_month(today) == expected


def test_period_of_and_split_and_label_and_year_start():
    assert P.period_of(date(2026, 3, 9)) == "2026-03"
    assert P.split("2026-03") == (2026, 3)
    assert P.label("2026-03") == "2026年3月"
    assert P.year_start("2026-10") == "2026-01"


def test_business_today_fixed():
    assert P.business_today("2026-11-15") == date(2026, 11, 15)
