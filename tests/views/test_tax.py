"""The building tax tab and the district tax page as each role sees them."""

from __future__ import annotations

import pytest

from tests import candidate_district as district


@pytest.fixture()
def data(session):
    return district.build(session)


def test_building_tax_tab_shows_years_tenants_and_departed_company(login, data):
    page = login("leader").get("/buildings/E01/tax?month=2026-06").get_data(as_text=True)
    assert 'data-testid="top-tenants"' in page
    # y 72 m = 7,200.0 万元 (75.0 %), x 24 m = 2,400.0 万元 (25.0 %), x has left the building.
    assert "7,200.0" in page and "75.0%" in page and "2,400.0" in page and "25.0%" in page
    assert "已不在本楼" in page
    # The month picked is June: its leases are read at June's end, not today (2026-11-15).
    assert 'data-testid="expiring-from">2026-06-30 起 365 天内' in page
    assert "1.20 亿元" in page  # 2025 全口径: ¥100 m and more in 亿元
    assert 'class="nav-link active"' in page and "税收" in page
    assert 'id="tax-chart-data"' in page and "<script>" not in page


def test_manager_sees_the_tax_tab_of_their_building_only(login, data):
    client = login("ly")
    assert client.get("/buildings/E01/tax?month=2026-06").status_code == 200
    assert client.get("/buildings/A01/tax").status_code == 403
    assert client.get("/tax").status_code == 403


def test_unknown_building_and_anonymous(client, data):
    assert client.get("/buildings/E01/tax").status_code == 302
    assert client.get("/tax").headers["Location"].startswith("/login")


def test_unknown_building_is_404(login, data):
    assert login("zs").get("/buildings/NOPE/tax").status_code == 404


def test_district_page_for_a_promoter(login, data):
    page = login("zs").get("/tax").get_data(as_text=True)
    assert "全区楼宇税收 · 2025年" in page
    # 2025: 440 m in 万元; 2 亿元楼; 7 companies so the top 10 hold everything.
    assert 'data-testid="district-total">4.40 亿元' in page
    assert 'data-testid="count-yi">2 栋' in page
    assert 'data-testid="top10-share">100.0%' in page
    assert "↑ 升档" in page and "2026年（1–6月）" in page
    assert 'data-testid="buildings-by-year"' in page


def test_district_page_with_a_bad_or_missing_year(login, data):
    client = login("leader")
    page = client.get("/tax?year=abc").get_data(as_text=True)
    assert "年份格式不正确" in page and "全区楼宇税收 · 2025年" in page
    page = client.get("/tax?year=2031").get_data(as_text=True)
    assert "没有 2031年 完整的税收数据" in page


def test_district_page_without_any_tax(login, session):
    from tests import factories as f

    f.user(session, "leader", "leader")
    session.commit()
    page = login("leader").get("/tax").get_data(as_text=True)
    assert "还没有任何税收数据" in page and '<h1 class="h4">全区楼宇税收</h1>' in page  # markup, not escaped text
