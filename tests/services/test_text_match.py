"""Searching names: Chinese as typed, Latin letters in any case, % and _ taken literally."""

from __future__ import annotations

import pytest

from crm.services.companies import CompanyFilters, search_companies
from tests import factories as f


@pytest.mark.parametrize(
    "typed, found",
    [
        ("科技", ["大连IBM科技有限公司", "大连星海科技有限公司"]),
        ("ibm", ["大连IBM科技有限公司"]),
        ("IbM科技", ["大连IBM科技有限公司"]),
        ("100%", ["百分百100%服务有限公司"]),
        ("_", []),
    ],
)
def test_company_search_matches_what_was_typed(session, typed, found):
    for name in ["大连IBM科技有限公司", "大连星海科技有限公司", "百分百100%服务有限公司", "大连港湾物流有限公司"]:
        f.company(session, name)
    page = search_companies(session, CompanyFilters(q=typed))
    assert sorted(c.name for c in page.companies) == found and page.total == len(found)
