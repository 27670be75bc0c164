"""Property tests (Hypothesis) of the import parsers and the header matcher: any input gets a
value or a Chinese CellError, never a crash; the ways people write a value all read the same."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.io import parsers
from crm.io.columns import match_header
from crm.io.kinds import all_kinds
from crm.io.readers import Table
from crm.io.report import Plan

TODAY = date(2026, 11, 15)
anything = st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.dates())


def verdict(parse, value):
    try:
        return parse(value)
    except parsers.CellError as error:
        assert error.message and isinstance(error.message, str)
        return None


@given(anything)
def test_every_parser_answers_any_cell_with_a_value_or_a_reason(value):
    verdict(parsers.day, value)
    verdict(lambda v: parsers.period(v, TODAY), value)
    verdict(lambda v: parsers.positive_amount(v, "金额"), value)
    verdict(lambda v: parsers.integer(v, "楼层"), value)
    verdict(parsers.boolean, value)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_the_ways_of_writing_a_date_read_the_same(day):
    y, m, d = day.year, day.month, day.day
    for written in (
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}年{m}月{d}日",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}{m:02d}{d:02d}",
        (day - date(1899, 12, 30)).days,
    ):
        assert parsers.day(written) == day, written


@given(st.integers(1990, 2026), st.integers(1, 12))
def test_the_ways_of_writing_a_month_read_the_same(year, month):
    expected = f"{year:04d}-{month:02d}"
    if expected > "2026-11":
        return
    for written in (expected, f"{year}/{month}", f"{year}年{month}月", f"{year}{month:02d}", date(year, month, 3)):
        assert parsers.period(written, TODAY) == expected


@given(st.decimals(min_value=Decimal("0.01"), max_value=parsers.MAX_TAX, places=2))
def test_amounts_with_or_without_separators_read_the_same(amount):
    for written in (f"{amount}", f"{amount:,}", f"¥{amount:,}", f"{amount:,} 元", float(amount)):
        assert parsers.positive_amount(written) == amount


@settings(max_examples=60)
@given(st.randoms(use_true_random=False), st.lists(st.text(max_size=12), max_size=3), st.booleans())
def test_headers_match_in_any_order_and_language(rng: random.Random, extras, english):
    for kind in all_kinds():
        headers = [(column.en if english else column.header) for column in kind.columns]
        extra = [e for e in extras if e.strip()]
        shuffled = headers + extra
        rng.shuffle(shuffled)
        plan = Plan(kind.name)
        found = match_header(kind.columns, Table(header_row=1, header=shuffled, rows=iter(())), plan)
        assert set(found) >= {c.key for c in kind.columns}
        for key, located in found.items():
            assert shuffled[located.index] in (located.column.header, located.column.en) or located.header in extra
        assert all(issue.row == 1 for issue in plan.errors + plan.warnings)
