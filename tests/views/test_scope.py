"""A building manager sees their buildings and nothing else, and changes only what is wholly
theirs — on pages, in the API, in exports and in imports alike (the world: tests/scope_world.py)."""

from __future__ import annotations

import io
import re

import pytest

from crm.models import Company, ImportBatch
from tests import scope_world
from tests.scope_world import csv_rows
from tests.test_authz_matrix import sign_in_as


@pytest.fixture()
def world(session):
    return scope_world.build(session)


@pytest.fixture()
def as_user(app, world):
    def client_of(name):
        client = app.test_client()
        sign_in_as(client, world["users"][name])
        return client

    return client_of


def preview(session, client, kind: str, text: str) -> ImportBatch:
    """Upload ``text`` as a CSV file of ``kind`` on /imports; the batch its preview recorded."""
    response = client.post(
        "/imports",
        data={"kind": kind, "file": (io.BytesIO(text.encode("utf-8")), f"{kind}.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))


# ------------------------------------------------------------------------------------------
# A manager downloads no leads: the leads list is not theirs to read.


def test_a_manager_cannot_download_the_leads_list(as_user):
    for name in ("manager", "other_manager"):
        for fmt in ("csv", "xlsx"):
            assert as_user(name).get(f"/exports/leads?format={fmt}").status_code == 403
    promoter = as_user("promoter").get("/exports/leads?format=csv")
    assert promoter.status_code == 200
    assert sorted(r["企业名称"] for r in csv_rows(promoter)) == ["华信咨询有限公司", "蓝港科技有限公司"]


# ------------------------------------------------------------------------------------------
# A manager's companies import touches only companies wholly theirs, before and after.


def company_file(*rows) -> str:
    lines = ["统一社会信用代码,企业名称,注册楼宇编码"] + [",".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def test_a_manager_cannot_rename_or_move_a_company_registered_in_another_street(session, as_user, world):
    shared, other = world["companies"]["共享"], world["companies"]["乙租户"]
    client = as_user("manager")
    # 共享 leases in A2 (theirs) but is registered in B1; 乙租户 is B1's through and through.
    for company, target in [(shared, "A1"), (shared, "B1"), (other, "A1"), (other, "B1")]:
        batch = preview(session, client, "companies", company_file((company.uscc, "改名有限公司", target)))
        assert batch.status == "invalid" and batch.error_count == 1, (company.name, target)
        assert "不属于您负责的楼宇" in batch.report["errors"][0][3]
    session.expire_all()
    assert session.get(Company, shared.id).name == "共享科技有限公司"
    assert session.get(Company, shared.id).registered_building_id == world["buildings"]["B1"].id


def test_a_manager_cannot_move_their_own_company_to_another_street(session, as_user, world):
    own = world["companies"]["甲租户"]
    client = as_user("manager")
    assert preview(session, client, "companies", company_file((own.uscc, "甲租户有限公司", "B1"))).status == "invalid"
    # within their street it is theirs to change
    batch = preview(session, client, "companies", company_file((own.uscc, "甲租户（新）有限公司", "A2")))
    assert batch.status == "previewed" and batch.updated_count == 1


# ------------------------------------------------------------------------------------------
# A shared company: each manager sees the tax attributed to their own buildings only.


def test_a_shared_companys_tax_shows_each_manager_only_their_buildings(as_user, world):
    shared = world["companies"]["共享"]
    api = {
        name: as_user(name).get(f"/api/v1/companies/{shared.id}").get_json()
        for name in ("manager", "other_manager", "leader")
    }
    assert [(t["month"], t["building"]["code"]) for t in api["manager"]["tax"]] == [("2026-08", "A2")]
    assert [(t["month"], t["building"]["code"]) for t in api["other_manager"]["tax"]] == [("2026-09", "B1")]
    assert [(t["month"], t["building"]["code"]) for t in api["leader"]["tax"]] == [("2026-09", "B1"), ("2026-08", "A2")]
    page = as_user("manager").get(f"/companies/{shared.id}").get_data(as_text=True)
    table = page.split('data-testid="company-tax"', 1)[1].split("</table>", 1)[0]
    assert "甲二大厦" in table and "乙一大厦" not in table and "2026年09月" not in table


def test_a_shared_companys_history_shows_a_manager_only_leases_of_their_buildings(as_user, world):
    shared = world["companies"]["共享"]

    def lease_entries(name):
        return (
            as_user(name).get(f"/companies/{shared.id}/history").get_data(as_text=True).count("</span> 租约 <strong>")
        )

    assert (lease_entries("leader"), lease_entries("manager"), lease_entries("other_manager")) == (2, 1, 1)


def tax_cells(html: str, company_name: str) -> list[str]:
    """The tax (万元, the last right-aligned cell) of each table row naming ``company_name``."""
    rows = [row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S) if company_name in row]
    return [re.findall(r'<td class="text-end"[^>]*>([^<]*)</td>', row)[-1] for row in rows]


def test_a_building_page_shows_a_manager_a_tenants_tax_of_their_buildings_only(as_user):
    # 共享 paid ¥3,000,000 attributed to A2 and ¥4,000,000 to B1 in the 12 months to 2026-10.
    assert tax_cells(as_user("leader").get("/buildings/A2").get_data(as_text=True), "共享科技有限公司") == ["700.0"]
    assert tax_cells(as_user("manager").get("/buildings/A2").get_data(as_text=True), "共享科技有限公司") == ["300.0"]
    assert tax_cells(as_user("other_manager").get("/buildings/B1").get_data(as_text=True), "共享科技有限公司") == [
        "400.0"
    ]


def test_expiring_leases_show_a_manager_a_tenants_tax_of_their_buildings_only(as_user):
    def shared(name):
        return tax_cells(as_user(name).get("/expiries?within=180").get_data(as_text=True), "共享科技有限公司")

    assert (shared("leader"), shared("manager"), shared("other_manager")) == (["700.0", "700.0"], ["300.0"], ["400.0"])


def test_a_managers_lease_reminder_tells_a_tenants_tax_of_their_buildings_only(session, world):
    from datetime import date

    from crm.reminders import agenda

    day = date(2026, 12, 1)  # 共享's two leases end 2027-02-28: within 90 days
    everyone = agenda.people(session)
    lines = {
        (everyone[i.recipient_id].name, i.line.text)
        for i in agenda.lease_expiry_items(session, day, everyone)
        if "共享" in i.line.text
    }
    assert lines == {
        ("manager", "共享科技有限公司（甲二大厦）— 2027-02-28 到期，还有 89 天，近 12 个月纳税 300.0 万元"),
        ("other_manager", "共享科技有限公司（乙一大厦）— 2027-02-28 到期，还有 89 天，近 12 个月纳税 400.0 万元"),
    }
