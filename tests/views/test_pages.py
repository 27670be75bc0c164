"""Pages and JSON as each role sees them, on a small hand-made district."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories as f


@pytest.fixture()
def district(session):
    """Two streets, three buildings; figures at the end of 2026-10 worked out by hand below."""
    a = f.building(session, "A01", "甲大厦", street="八一路", zone="站北中央活力片区")
    b = f.building(session, "B01", "乙大厦", street="白云")
    c = f.building(session, "C01", "丙大厦", street="白云")
    a1, a2, a3 = (f.unit(session, a, 3, n, area) for n, area in [("01", 100), ("02", 300), ("03", 600)])
    f.unit(session, a, 4, "01", 500, self_use=True)
    b1 = f.unit(session, b, 2, "01", 400)
    f.unit(session, b, 2, "02", 100)
    reg, unreg, other = (
        f.company(session, "注册甲有限公司"),
        f.company(session, "外地乙有限公司", registered=False),
        f.company(session, "丙公司"),
    )
    f.lease(session, reg, a, [a1, a2], date(2025, 1, 1), date(2027, 12, 31))  # 400 m²
    f.lease(session, unreg, a, [a3], date(2026, 10, 31))  # 600 m², from the last day
    f.lease(session, other, b, [b1], date(2024, 1, 1), date(2026, 10, 15))  # ended mid-month
    # Tax: A gets 2025 total 120,000,000 (亿元楼) and 2026 Jan–Oct 30,000,000; B 2026 5,000,000.
    f.tax(session, reg, "2025-06", 120_000_000, 40_000_000, building=a)
    f.tax(session, reg, "2026-03", 30_000_000, 9_000_000, building=a)
    f.tax(session, other, "2026-05", 5_000_000, 1_000_000, building=b)
    f.tax(session, other, "2025-05", 4_000_000, 1_000_000, building=b)
    admin = f.user(session, "admin", "admin")
    f.user(session, "leader", "leader")
    f.user(session, "zs", "promoter")
    f.user(session, "ly", "manager", buildings=[b, c])
    session.commit()
    return {"a": a, "b": b, "c": c, "admin": admin}


def test_anonymous_is_sent_to_login(client):
    response = client.get("/buildings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_wrong_password_gives_one_message_without_hint(client, district):
    page = client.post("/login", data={"username": "admin", "password": "wrong-password"}).get_data(as_text=True)
    unknown = client.post("/login", data={"username": "nobody", "password": "wrong-password"}).get_data(as_text=True)
    assert "用户名或密码不正确" in page and "用户名或密码不正确" in unknown
    assert 'value="admin"' in page  # the form keeps what was typed


def test_dashboard_shows_the_hand_computed_district(login, district):
    page = login("leader").get("/?month=2026-10").get_data(as_text=True)
    # Leasable: A 100+300+600 = 1,000 (500 self-use excluded); B 400+100 = 500; C none → 1,500.
    # Occupied at 2026-10-31: A 400 + 600 = 1,000; B's lease ended 10-15 → 1,000 → 66.7 %.
    assert '<div class="stat-value" data-testid="stat-leasable">1,500 m²</div>' in page
    assert 'data-testid="stat-occupied">1,000 m²' in page
    assert 'data-testid="stat-occupancy">66.7%' in page
    assert 'data-testid="stat-vacant">500 m²' in page
    # Tenants 2 (both in A), one registered → 50.0 %.
    assert 'data-testid="stat-tenants">2 家' in page
    assert 'data-testid="stat-registered">50.0%' in page
    # Tax YTD 2026: 30,000,000 + 5,000,000 = 3,500.0 万元; last year same period 124,000,000 → 1.24 亿元.
    assert 'data-testid="stat-tax-ytd">3,500.0 万元' in page
    assert "同比 ↓71.8%" in page  # (35 − 124) ÷ 124 = −71.77 %
    assert 'data-testid="stat-yi">1 栋' in page


def test_manager_sees_only_their_buildings(login, district):
    client = login("ly")
    listing = client.get("/buildings").get_data(as_text=True)
    assert "乙大厦" in listing and "丙大厦" in listing and "甲大厦" not in listing
    assert client.get("/buildings/A01").status_code == 403
    assert client.get("/api/v1/buildings/A01").status_code == 403
    assert [b["code"] for b in client.get("/api/v1/buildings?month=2026-10").get_json()] == ["B01", "C01"]
    summary = client.get("/api/v1/summary?month=2026-10").get_json()
    assert summary["buildings"] == 2 and summary["leasable_area"] == 500.0 and summary["tenants"] == 0


def test_unknown_building_is_404(login, district):
    assert login("leader").get("/buildings/NOPE").status_code == 404


def test_building_page_has_stacking_plan_with_tenant(login, district):
    page = login("zs").get("/buildings/A01?month=2026-10").get_data(as_text=True)
    assert 'data-testid="stacking-plan"' in page
    assert "3F-01 · 100.00 m² · 已出租 · 注册甲有限公司 · 租期至 2027-12-31" in page
    assert "4F-01 · 500.00 m² · 自用" in page


def test_summary_api_numbers(login, district):
    data = login("admin").get("/api/v1/summary?month=2026-10").get_json()
    assert data["buildings"] == 3
    assert data["leasable_area"] == 1500.0 and data["occupied_area"] == 1000.0
    assert data["occupancy"] == pytest.approx(1000 / 1500)
    assert data["vacant_area"] == 500.0 and data["tenants"] == 2
    assert data["registered_rate"] == 0.5
    assert data["tax_ytd"] == 35_000_000.0 and data["tax_ytd_prev"] == 124_000_000.0
    assert data["tiers"] == {"yi": 1, "wuqianwan": 0, "qianwan": 0}


def test_building_api_units_and_months(login, district):
    data = login("admin").get("/api/v1/buildings/A01?month=2026-10").get_json()
    assert data["tier"] == "yi" and data["tax_ytd"] == 30_000_000.0
    # 12 months ending 2026-10 hold 30,000,000; occupied 1,000 m² → 30,000 yuan per m².
    assert data["tax_per_m2"] == 30000.0
    assert len(data["months"]) == 24 and data["months"][-1]["month"] == "2026-10"
    assert data["months"][-1]["occupancy"] == 1.0
    assert {u["number"]: u["status"] for u in data["units"] if u["floor"] == 3} == {
        "01": "occupied",
        "02": "occupied",
        "03": "occupied",
    }


def test_bad_month_is_a_clear_400(login, district):
    client = login("admin")
    response = client.get("/api/v1/summary?month=2026-13")
    assert response.status_code == 400 and "月份格式不正确" in response.get_json()["error"]
    assert client.get("/api/v1/summary?month=2027-01").status_code == 400
    page = client.get("/?month=abc")
    assert page.status_code == 200 and "月份格式不正确" in page.get_data(as_text=True)


def test_companies_search_and_filters(login, district):
    client = login("leader")
    page = client.get("/companies?q=注册甲").get_data(as_text=True)
    assert "注册甲有限公司" in page and "外地乙有限公司" not in page
    page = client.get("/companies?registered=no").get_data(as_text=True)
    assert "外地乙有限公司" in page and "注册甲有限公司" not in page


def test_company_page_lists_leases_and_tax(login, district, session):
    from crm.models import Company
    from sqlalchemy import select

    company = session.scalar(select(Company).where(Company.name == "注册甲有限公司"))
    page = login("leader").get(f"/companies/{company.id}").get_data(as_text=True)
    assert "甲大厦" in page and "2026年3月" in page and "3,000.0" in page


def test_manager_cannot_open_a_company_outside_their_buildings(login, district, session):
    from crm.models import Company
    from sqlalchemy import select

    company = session.scalar(select(Company).where(Company.name == "注册甲有限公司"))
    assert login("ly").get(f"/companies/{company.id}").status_code == 403


def test_api_anonymous_is_401(client):
    assert client.get("/api/v1/summary").status_code == 401


def test_logout_ends_the_session(login, district):
    client = login("leader")
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_forms_need_a_csrf_token(app, client, district):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"username": "admin", "password": f.PASSWORD})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_static_front_end_is_served_by_the_app(client):
    for path in ("/static/vendor/bootstrap-5.3.8/bootstrap.min.css", "/static/vendor/chart.js-4.5.1/chart.umd.min.js"):
        assert client.get(path).status_code == 200


def test_manager_company_list_names_only_their_buildings(login, district, session):
    both = f.company(session, "两楼企业有限公司")
    a_unit = f.unit(session, district["a"], 5, "01", 50)
    b_unit = f.unit(session, district["b"], 3, "01", 60)
    f.lease(session, both, district["a"], [a_unit], date(2026, 1, 1))
    f.lease(session, both, district["b"], [b_unit], date(2026, 1, 1))
    session.commit()
    page = login("ly").get("/companies?q=两楼").get_data(as_text=True)
    assert "两楼企业有限公司" in page and "乙大厦" in page
    assert "甲大厦" not in page and "/buildings/A01" not in page


def test_the_building_page_shows_a_tax_record_and_a_move_out_at_once(login, district, session):
    """The page's space parts and tax parts are kept apart; each shows its own writes at once."""
    from sqlalchemy import select

    from crm.models import Company, Lease

    client = login("leader")
    url = "/buildings/A01?month=2026-10"
    page = client.get(url).get_data(as_text=True)
    assert 'data-value="30000000.00">3,000.0<' in page
    assert "3F-03 · 600.00 m² · 已出租 · 外地乙有限公司" in page
    company = session.scalar(select(Company).where(Company.name == "注册甲有限公司"))
    f.tax(session, company, "2026-09", 1_000_000, 300_000, building=district["a"])
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'data-value="31000000.00">3,100.0<' in page
    lease = session.scalar(select(Lease).join(Company).where(Company.name == "外地乙有限公司"))
    lease.moved_out_on = date(2026, 10, 31)
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "3F-03 · 600.00 m² · 空置" in page
