"""Building managers' pages: forms that write, refusals that write nothing, and what they show."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import ChangeLog, Company, Lease, OccupancySnapshot, Unit
from tests import factories as f

VALID = "91210200241281392F"


@pytest.fixture()
def world(session):
    """A01 kept by "ly" (1,000 m²: 3F-01 400 m² let, 3F-02 300 m² and 3F-03 300 m² vacant);
    B01 kept by "ly2" with one let unit."""
    a = f.building(session, "A01", "甲大厦")
    b = f.building(session, "B01", "乙大厦", street="白云")
    a1, a2, a3 = f.unit(session, a, 3, "01", 400), f.unit(session, a, 3, "02", 300), f.unit(session, a, 3, "03", 300)
    b1 = f.unit(session, b, 2, "01", 500)
    tenant = f.company(session, "甲租户有限公司")
    lease = f.lease(session, tenant, a, [a1], date(2025, 1, 1), date(2026, 12, 31))
    other_tenant = f.company(session, "乙租户有限公司")
    other_lease = f.lease(session, other_tenant, b, [b1], date(2025, 1, 1))
    f.tax(session, tenant, "2026-06", 15_000_000, building=a)
    f.user(session, "admin", "admin")
    f.user(session, "leader", "leader")
    f.user(session, "zs", "promoter")
    f.user(session, "ly", "manager", buildings=[a])
    f.user(session, "ly2", "manager", buildings=[b])
    session.commit()
    return dict(a=a, b=b, a1=a1, a2=a2, a3=a3, b1=b1, lease=lease, other_lease=other_lease, other_tenant=other_tenant)


def count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_building_page_offers_management_to_its_managers_only(login, world, client):
    page = login("ly").get("/buildings/A01").get_data(as_text=True)
    assert 'data-testid="manage-bar"' in page and "/buildings/A01/move-in" in page
    assert 'data-testid="today-occupancy">40.0%' in page  # 400 of 1,000 m² today
    assert "2026年10月的入驻数据尚未确认" in page
    assert "/buildings/A01/leases/%d/move-out" % world["lease"].id in page
    assert 'id="sp-actions"' in page and 'data-manage-url="/buildings/A01/units/0"' in page
    client.post("/logout")
    page = login("zs").get("/buildings/A01").get_data(as_text=True)
    assert 'data-testid="manage-bar"' not in page and "move-in" not in page
    # The stacking plan is the same for every reader; the unit actions and move-out links of the
    # manager's page must not reach a promoter.
    assert "甲租户有限公司" in page and "/move-out" not in page
    assert 'id="sp-actions"' not in page and "/units/0" not in page


def test_a_promoter_sees_a_managers_move_out_at_once(login, world, client):
    promoter_page = login("zs").get("/buildings/A01?month=2026-11").get_data(as_text=True)
    assert 'data-testid="tenants-table"' in promoter_page and "甲租户有限公司" in promoter_page
    client.post("/logout")
    lease = world["lease"]
    response = login("ly").post(
        f"/buildings/A01/leases/{lease.id}/move-out",
        data={
            "version": str(lease.version),
            "moved_out_on": "2026-11-01",
            "reason": "提前退租",
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    promoter_page = login("zs").get("/buildings/A01?month=2026-11").get_data(as_text=True)
    assert "甲租户有限公司" not in promoter_page and "该月末没有有效租约" in promoter_page


def test_move_in_through_the_form_creates_the_company_and_lease(login, world, session):
    client = login("ly")
    response = client.post(
        "/buildings/A01/move-in",
        data={
            "company": "新入驻科技有限公司",
            "uscc": VALID,
            "registered_in_district": "y",
            "industry_group": "科技服务",
            "units": [str(world["a2"].id), str(world["a3"].id)],
            "start_date": "2026-11-10",
            "end_date": "2029-11-09",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记 新入驻科技有限公司 入驻 3F-02、3F-03" in page
    assert 'data-testid="today-occupancy">100.0%' in page
    lease = session.scalar(select(Lease).join(Company).where(Company.uscc == VALID))
    assert (lease.start_date, lease.end_date, len(lease.units)) == (date(2026, 11, 10), date(2029, 11, 9), 2)
    entry = session.scalar(select(ChangeLog).where(ChangeLog.object_type == "lease", ChangeLog.object_id == lease.id))
    assert entry.action == "create" and entry.actor.username == "ly"


def test_a_refused_move_in_keeps_what_was_typed_and_writes_nothing(login, world, session):
    leases_before, companies_before = count(session, Lease), count(session, Company)
    page = (
        login("ly")
        .post(
            "/buildings/A01/move-in",
            data={
                "company": "占用测试有限公司",
                "uscc": VALID,
                "units": [str(world["a1"].id)],
                "start_date": "2026-11-10",
            },
        )
        .get_data(as_text=True)
    )
    assert "单元 3F-01 在该期间已有有效租约（甲租户有限公司" in page
    assert (
        'value="占用测试有限公司"' in page
        and f'value="{world["a1"].id}" id="u{world["a1"].id}" autocomplete="off" checked' in page
    )
    assert count(session, Lease) == leases_before and count(session, Company) == companies_before


def test_bad_uscc_is_shown_beside_its_field(login, world):
    page = (
        login("ly")
        .post(
            "/buildings/A01/move-in",
            data={
                "company": "新公司有限公司",
                "uscc": "91310110666007217U",
                "units": [str(world["a2"].id)],
                "start_date": "2026-11-10",
            },
        )
        .get_data(as_text=True)
    )
    assert 'is-invalid" id="uscc"' in page or 'id="uscc"' in page
    assert (
        '<div class="invalid-feedback d-block" data-testid="error-uscc">统一社会信用代码校验位错误：末位应为 T，实为 U</div>'
        in page
    )


def test_naming_another_buildings_unit_is_403_logged_and_changes_nothing(login, world, session, caplog):
    client = login("ly")
    before = count(session, Lease)
    with caplog.at_level(logging.WARNING, logger="crm.permissions"):
        response = client.post(
            "/buildings/A01/move-in",
            data={
                "company": "甲租户有限公司",
                "units": [str(world["b1"].id)],
                "start_date": "2026-11-10",
            },
        )
    assert response.status_code == 403 and count(session, Lease) == before
    refusal = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusal and "user=ly" in refusal[0] and "route=/buildings/A01/move-in" in refusal[0] and "Unit" in refusal[0]


def test_moving_out_another_buildings_lease_is_403(login, world, session):
    client = login("ly")
    lease_id = world["other_lease"].id
    for path in (f"/buildings/A01/leases/{lease_id}/move-out", f"/buildings/B01/leases/{lease_id}/move-out"):
        response = client.post(path, data={"version": "1", "moved_out_on": "2026-11-10", "reason": "到期"})
        assert response.status_code == 403
    session.rollback()
    assert session.get(Lease, lease_id).moved_out_on is None


def test_editing_another_buildings_unit_through_a_changed_id_is_403(login, world, session):
    client = login("ly")
    b1 = world["b1"].id
    assert client.post(f"/buildings/A01/units/{b1}", data={"version": "1", "area": "1"}).status_code == 403
    assert client.post(f"/buildings/A01/units/{b1}/retire", data={"on": "2026-11-15"}).status_code == 403
    assert (
        client.post(
            "/buildings/A01/units/merge", data={"units": [world["a2"].id, b1], "on": "2026-11-15", "number": "X"}
        ).status_code
        == 403
    )
    session.rollback()
    assert session.get(Unit, b1).area == 500 and session.get(Unit, b1).retired_on is None


def test_move_out_then_the_tenant_is_gone_today(login, world, session):
    client = login("ly")
    lease = world["lease"]
    response = client.post(
        f"/buildings/A01/leases/{lease.id}/move-out",
        data={
            "version": str(lease.version),
            "moved_out_on": "2026-11-01",
            "reason": "提前退租",
        },
    )
    assert response.status_code == 302
    page = client.get("/buildings/A01").get_data(as_text=True)
    assert "已登记 甲租户有限公司 迁出" in page and 'data-testid="today-occupancy">0.0%' in page


def test_move_out_before_move_in_shows_the_message(login, world):
    lease = world["lease"]
    page = (
        login("ly")
        .post(
            f"/buildings/A01/leases/{lease.id}/move-out",
            data={
                "version": str(lease.version),
                "moved_out_on": "2024-12-31",
                "reason": "到期",
            },
        )
        .get_data(as_text=True)
    )
    assert "迁出日期 2024-12-31 早于入驻日期 2025-01-01" in page


def test_two_people_editing_one_unit_the_second_is_refused(login, world, session, app):
    unit_id, version = world["a2"].id, world["a2"].version
    first = login("ly")
    assert first.post(f"/buildings/A01/units/{unit_id}", data={"version": version, "area": "320"}).status_code == 302
    second = app.test_client()
    second.post("/login", data={"username": "admin", "password": f.PASSWORD})
    page = second.post(f"/buildings/A01/units/{unit_id}", data={"version": version, "area": "280"}).get_data(
        as_text=True
    )
    assert "保存未成功：您打开表单之后，ly 于" in page and "面积（m²）：300 → 320" in page
    assert 'name="version" type="hidden" value="%d"' % (version + 1) in page
    session.rollback()
    assert session.get(Unit, unit_id).area == 320


def test_split_and_merge_through_the_forms(login, world, session):
    client = login("ly")
    a3 = world["a3"].id
    response = client.post(
        f"/buildings/A01/units/{a3}/split",
        data={
            "on": "2026-11-15",
            "parts-0-number": "03A",
            "parts-0-area": "100",
            "parts-1-number": "03B",
            "parts-1-area": "150",
        },
    )
    assert "拆分后各部分面积之和 250.00 m² 与原单元面积 300.00 m² 不一致" in response.get_data(as_text=True)
    response = client.post(
        f"/buildings/A01/units/{a3}/split",
        data={
            "on": "2026-11-15",
            "parts-0-number": "03A",
            "parts-0-area": "100",
            "parts-1-number": "03B",
            "parts-1-area": "200",
        },
    )
    assert response.status_code == 302
    session.rollback()
    parts = {u.number: u for u in session.scalars(select(Unit).where(Unit.number.in_(["03A", "03B"])))}
    response = client.post(
        "/buildings/A01/units/merge",
        data={
            "units": [str(world["a2"].id), str(parts["03A"].id)],
            "on": "2026-11-15",
            "number": "02-03A",
        },
    )
    assert response.status_code == 302
    page = client.get("/buildings/A01/units").get_data(as_text=True)
    assert ">02-03A<" in page and ">03B<" in page and ">03A<" not in page


def test_confirm_last_month_then_the_building_page_reads_the_confirmed_figures(login, world, session):
    client = login("ly")
    page = client.get("/confirmations").get_data(as_text=True)
    assert "月度填报 · 2026年10月" in page and 'data-testid="confirm-A01"' in page and "乙大厦" not in page
    assert client.post("/confirmations/A01/2026-11").status_code == 302
    assert "2026年11月尚未结束" in client.get("/confirmations").get_data(as_text=True)
    assert client.post("/confirmations/A01/2026-10").status_code == 302
    page = client.get("/buildings/A01").get_data(as_text=True)
    assert "已确认月报" in page and "尚未确认" not in page
    snapshot = session.scalar(select(OccupancySnapshot))
    assert (snapshot.period, snapshot.occupied_area, snapshot.leasable_area) == ("2026-10", 400, 1000)


def test_a_change_in_a_confirmed_month_asks_for_a_reason_and_shows_as_a_correction(login, world, session):
    client = login("ly")
    client.post("/confirmations/A01/2026-10")
    data = {"company": "甲租户有限公司", "units": [str(world["a2"].id)], "start_date": "2026-10-20"}
    page = client.post("/buildings/A01/move-in", data=data).get_data(as_text=True)
    assert "2026年10月的入驻数据已确认" in page and "请填写更正原因" in page
    assert (
        client.post("/buildings/A01/move-in", data=data | {"correction_reason": "10 月入驻漏登记"}).status_code == 302
    )
    history = client.get("/buildings/A01/history?type=snapshot").get_data(as_text=True)
    assert "更正" in history and "更正原因：10 月入驻漏登记" in history and "<del>400</del> → <ins>700</ins>" in history


def test_admin_sees_which_buildings_confirmed_which_months(login, world):
    client = login("ly")
    client.post("/confirmations/A01/2026-10")
    client.post("/logout")
    page = login("admin").get("/confirmations/status").get_data(as_text=True)
    assert 'data-period="2026-10" data-building="A01"' in page
    assert "1/2" in page  # one of the two buildings confirmed 2026-10


def test_history_timelines(login, world, session):
    client = login("ly")
    unit = world["a2"]
    client.post(
        f"/buildings/A01/units/{unit.id}", data={"version": unit.version, "area": "310", "reserved_until": "2026-12-31"}
    )
    page = client.get(f"/units/{unit.id}/history").get_data(as_text=True)
    assert "<del>300</del> → <ins>310</ins>" in page and "<del>（空）</del> → <ins>2026-12-31</ins>" in page
    assert "单元 3F-02 变更记录" in page
    assert client.get(f"/companies/{world['other_tenant'].id}/history").status_code == 403
    assert "变更记录" in client.get(f"/leases/{world['lease'].id}/history").get_data(as_text=True)


def test_expiries_show_the_tax_and_flag_large_taxpayers(login, world):
    client = login("leader")
    page = client.get("/buildings/A01/expiries?within=90").get_data(as_text=True)
    assert "甲租户有限公司" in page and "纳税大户" in page and ">1,500.0<" in page and ">46<" in page
    assert (
        "甲租户有限公司"
        not in client.get("/buildings/A01/expiries?within=30").get_data(as_text=True).split("已过到期日")[0]
    )
    district = client.get("/expiries?within=180").get_data(as_text=True)
    assert "甲大厦" in district and "乙租户有限公司" not in district  # open-ended lease never expires
