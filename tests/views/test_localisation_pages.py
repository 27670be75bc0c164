"""The /localisation page, its export, a building's tab and the work on one target, role by role
(the test app's today is 2026-11-15, the world's ON: see tests/services/test_localisation.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from crm.models import Company, LocalisationItem
from crm.services.figures import district_summary
from tests import factories as f
from tests.services.test_localisation import world  # noqa: F401  (the fixture)


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture()
def people(session, world):  # noqa: F811
    return {
        "zs": f.user(session, "zs", "promoter"),
        "ld": f.user(session, "ld", "leader"),
        "ly1": f.user(session, "ly1", "manager", buildings=[world["x1"]]),
    }


def companies_listed(page):
    return re.findall(r'<tr data-company="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', page)


def test_the_list_its_filters_and_export(login, world, people):  # noqa: F811
    client = login("zs")
    page = text(client.get("/localisation"))
    assert companies_listed(page) == ["甲", "戊"]
    assert "共 <strong>2</strong> 家，税收影响合计（估算）<strong>14.3</strong> 万元" in page  # 75,000 + 67,500
    assert companies_listed(text(client.get("/localisation?street=白云"))) == ["戊"]
    assert companies_listed(text(client.get("/localisation?sort=tax&dir=asc"))) == ["戊", "甲"]
    assert companies_listed(text(client.get("/localisation?on=2026-11-14&sort=name&dir=asc"))) == [
        "乙",
        "庚",
        "戊",
        "甲",
    ]
    assert companies_listed(text(client.get("/localisation?type=registered_not_occupying"))) == ["辛"]
    page = text(client.get("/localisation?on=2026-13-01&street=" + "x" * 40))
    assert "日期（on）“2026-13-01”不是有效的日期" in page and "街道（street）" in page
    csv = client.get("/localisation/export?format=csv&street=白云").get_data().decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert lines[0].startswith("企业名称,统一社会信用代码,楼宇编码") and len(lines) == 2
    assert lines[1].startswith("戊,") and ",67500.00," in lines[1]
    assert client.get("/localisation/export?format=xlsx").headers["Content-Type"].startswith("application/vnd.openxml")


def test_a_manager_sees_their_buildings_only(login, world, people, session):  # noqa: F811
    client = login("ly1")
    assert companies_listed(text(client.get("/localisation"))) == ["甲"]
    assert client.get(f"/buildings/{world['x2'].code}/localisation").status_code == 403
    assert "甲" in text(client.get(f"/buildings/{world['x1'].code}/localisation"))
    csv = client.get("/localisation/export?format=csv").get_data().decode("utf-8-sig")
    assert "戊" not in csv and "甲" in csv
    # An item of another building: neither opened nor shown.
    assert (
        client.post(
            "/localisation/start", data={"type": "occupying_unregistered", "company_id": world["C"].id}
        ).status_code
        == 404
    )
    other = LocalisationItem(company=world["C"], kind="occupying_unregistered", building_id=world["x2"].id)
    session.add(other)
    session.commit()
    assert client.get(f"/localisation/items/{other.id}").status_code == 403
    assert client.post(f"/localisation/items/{other.id}/state", data={"state": "visited"}).status_code == 403


def test_a_leader_reads_but_does_not_work(login, world, people):  # noqa: F811
    client = login("ld")
    page = text(client.get("/localisation"))
    assert "甲" in page and "/localisation/start" not in page
    assert (
        client.post(
            "/localisation/start", data={"type": "occupying_unregistered", "company_id": world["A"].id}
        ).status_code
        == 403
    )


def test_a_promoter_works_a_target_to_done(login, world, people, session):  # noqa: F811
    client = login("zs")
    assert 'data-testid="loc-rate">75.0%' in text(client.get("/?month=2026-11"))  # R, T, F of A, R, T, F
    assert 'data-testid="loc-open">2 家' in text(client.get("/?month=2026-11"))  # A and C (its lease ends today)
    response = client.post("/localisation/start", data={"type": "occupying_unregistered", "company_id": world["A"].id})
    assert response.status_code == 302
    item = session.scalar(select(LocalisationItem))
    assert (
        response.headers["Location"].endswith(f"/localisation/items/{item.id}") and item.building_id == world["x1"].id
    )
    page = text(client.post(f"/localisation/items/{item.id}/state", data={"state": "blocked", "reason": ""}))
    assert "请填写不可迁的原因" in page
    session.expire_all()
    assert session.get(LocalisationItem, item.id).state == "pending"
    response = client.post(
        f"/localisation/items/{item.id}/followups",
        data={"method": "走访", "notes": "上门拜访财务总监", "next_on": "2026-11-20"},
    )
    assert response.status_code == 302
    page = text(
        client.post(f"/localisation/items/{item.id}/state", data={"state": "done", "completed_on": "2026-11-16"})
    )
    assert "晚于今天" in page and 'value="2026-11-16"' in page
    assert (
        client.post(
            f"/localisation/items/{item.id}/state", data={"state": "done", "completed_on": "2026-11-10"}
        ).status_code
        == 302
    )
    session.expire_all()
    done = session.get(LocalisationItem, item.id)
    assert (done.state, done.completed_on, done.owner_id) == ("done", date(2026, 11, 10), people["zs"].id)
    assert session.get(Company, world["A"].id).registered_in_district is True
    assert district_summary(session, "2026-11").occupancy.registered_tenants == 4  # A, R, T, F
    dashboard = text(client.get("/?month=2026-11"))
    assert 'data-testid="loc-rate">100.0%' in dashboard and 'data-testid="loc-done">1 家' in dashboard
    assert 'data-month="2026-10">50.0%' in dashboard  # October unmoved: R, T, E, D of the 8 tenants
    assert "甲" not in companies_listed(text(client.get("/localisation?state=open")))
    assert companies_listed(text(client.get("/localisation?state=done"))) == ["甲"]
