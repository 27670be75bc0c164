"""Property tests (Hypothesis): the USCC check and the month parser hold for any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.services.errors import DomainError
from crm.services.periods import parse_period
from crm.services.uscc import CHARSET, check_character, uscc_problem

body = st.tuples(
    st.text(CHARSET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CHARSET, min_size=9, max_size=9),
).map("".join)


@given(body)
def test_a_code_with_its_check_character_is_valid(first17):
    assert uscc_problem(first17 + check_character(first17)) is None


@settings(max_examples=200)
@given(body, st.integers(0, 17), st.sampled_from(CHARSET))
def test_every_single_character_change_is_rejected(first17, position, replacement):
    code = first17 + check_character(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert uscc_problem(changed) is not None


@given(st.text(max_size=40))
def test_any_text_gets_a_verdict_never_an_exception(text):
    problem = uscc_problem(text)
    assert problem is None or isinstance(problem, str)


@given(st.text(max_size=20))
def test_the_month_parser_accepts_only_real_months(text):
    try:
        period = parse_period(text)
    except DomainError as error:
        assert "月份格式不正确" in error.message
    else:
        year, month = period.split("-")
        assert len(period) == 7 and year.isascii() and 1 <= int(month) <= 12
