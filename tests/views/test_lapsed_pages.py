"""Lapsed leases (到期未处置) on the pages: the confirmation page lists them with the three actions
inline and will not confirm until they are resolved; the expiries page, the building page, the
units list and the manager's dashboard show them; the dashboard explains the month's change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import Lease, OccupancySnapshot
from tests import factories as f

BACK = "/confirmations?month=2026-10"


@pytest.fixture()
def world(session):
    """A01 kept by "ly" (today 2026-11-15): 3F-01 300 m² under a lease that ended 2026-10-15 with
    nothing recorded since, 3F-02 200 m² let on."""
    a = f.building(session, "A01", "甲大厦", declared=Decimal("2000"))
    u1, u2 = f.unit(session, a, 3, "01", 300), f.unit(session, a, 3, "02", 200)
    lapsed = f.lease(session, f.company(session, "到期未续有限公司"), a, [u1], date(2024, 10, 16), date(2026, 10, 15))
    f.lease(session, f.company(session, "长期有限公司"), a, [u2], date(2024, 1, 1))
    f.user(session, "ly", "manager", buildings=[a])
    f.user(session, "leader", "leader")
    session.commit()
    return dict(a=a, lease=lapsed, lease_id=lapsed.id)


def snapshots(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(OccupancySnapshot))


def lease_now(session, lease_id) -> Lease:
    session.rollback()
    return session.get(Lease, lease_id)


def test_the_confirmation_page_lists_them_inline_and_refuses_to_confirm(login, world, session):
    client = login("ly")
    page = client.get(BACK).get_data(as_text=True)
    assert 'data-testid="lapsed-list"' in page and "到期未续有限公司" in page and "2026-10-15 到期，已过 31 天" in page
    lid = world["lease_id"]
    for path in (
        f"/buildings/A01/leases/{lid}/renew?next=",
        f"/buildings/A01/leases/{lid}/move-out?next=",
        f"/buildings/A01/leases/{lid}/open-ended?next=",
    ):
        assert path in page
    assert 'value="2026-10-16"' in page  # the move-out date offered: the day after the end
    assert 'data-testid="confirm-button" disabled' in page
    response = client.post("/confirmations/A01/2026-10", follow_redirects=True)
    assert "有 1 份租约到期未处置：到期未续有限公司（2026-10-15 到期）" in response.get_data(as_text=True)
    assert snapshots(session) == 0


@pytest.mark.parametrize(
    "action, form, end, moved_out",
    [
        ("renew", {"end_date": "2027-10-15"}, date(2027, 10, 15), None),
        ("move-out", {"moved_out_on": "2026-10-16", "reason": "到期"}, date(2026, 10, 15), date(2026, 10, 16)),
        ("open-ended", {}, None, None),
    ],
)
def test_each_inline_action_resolves_and_returns_to_the_confirmation_page(
    login, world, session, action, form, end, moved_out
):
    client = login("ly")
    lid = world["lease_id"]
    response = client.post(
        f"/buildings/A01/leases/{lid}/{action}?next=/confirmations%3Fmonth%3D2026-10",
        data=dict(form, version=str(world["lease"].version)),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(BACK)
    lease = lease_now(session, lid)
    assert (lease.end_date, lease.moved_out_on) == (end, moved_out)
    page = client.get(BACK).get_data(as_text=True)
    assert 'data-testid="lapsed-list"' not in page and 'data-testid="confirm-button" disabled' not in page
    client.post("/confirmations/A01/2026-10")
    assert snapshots(session) == 1


def test_a_foreign_next_is_ignored(login, world):
    response = login("ly").post(
        f"/buildings/A01/leases/{world['lease_id']}/open-ended?next=//evil.example/x",
        data={"version": str(world["lease"].version)},
    )
    assert response.headers["Location"].endswith("/buildings/A01")


def test_a_refused_renewal_shows_the_form_with_the_message(login, world, session):
    page = (
        login("ly")
        .post(
            f"/buildings/A01/leases/{world['lease_id']}/renew?next=/confirmations",
            data={"version": str(world["lease"].version), "end_date": "2026-11-01"},
        )
        .get_data(as_text=True)
    )
    assert "续租后租约仍为到期未处置" in page and 'data-testid="lapsed-note"' in page
    assert lease_now(session, world["lease_id"]).end_date == date(2026, 10, 15)


def test_expiries_building_units_and_dashboard_show_them(login, world):
    client = login("ly")
    expiries = client.get("/expiries").get_data(as_text=True)
    assert '到期未处置 <span class="text-muted">1 份</span>' in expiries and "到期未处置 · 已过 31 天" in expiries
    assert f"/buildings/A01/leases/{world['lease_id']}/open-ended" in expiries
    building = client.get("/buildings/A01").get_data(as_text=True)
    assert 'data-testid="building-lapsed"' in building and "到期未处置的租约 1 份（截至今日 2026-11-15）" in building
    assert "sp-lapsed" in building  # the unit in the stacking plan
    units = client.get("/buildings/A01/units").get_data(as_text=True)
    assert 'data-testid="unit-lapsed"' in units
    dashboard = client.get("/?month=2026-10").get_data(as_text=True)
    assert 'data-testid="dashboard-lapsed"' in dashboard and "到期未处置的租约 1 份" in dashboard


def test_a_leader_sees_them_without_actions(login, world):
    page = login("leader").get("/buildings/A01").get_data(as_text=True)
    assert 'data-testid="building-lapsed"' in page and "/open-ended" not in page
    assert 'data-testid="dashboard-lapsed"' not in login("leader").get("/").get_data(as_text=True)


def test_the_dashboard_and_the_building_history_explain_the_month(login, world):
    client = login("leader")
    dashboard = client.get("/?month=2026-10").get_data(as_text=True)
    assert "变动说明" in dashboard
    assert (
        '上月末 500.00\n  + 新入驻 <span data-testid="bridge-in">0.00</span>\n'
        '  − 迁出 <span data-testid="bridge-out">0.00</span>\n'
        '  − 到期未处置 <span data-testid="bridge-lapsed">300.00</span>'
    ) in dashboard
    assert "= 本月末 <strong>200.00</strong> m²" in dashboard
    api = client.get("/api/v1/summary?month=2026-10").get_json()["bridge"]
    assert api["occupied_area"] == {"moved_in": 0.0, "moved_out": 0.0, "lapsed": 300.0, "other": 0.0, "other_items": []}
    assert api["tenants"]["lapsed"] == 1
    building = client.get("/buildings/A01?month=2026-10").get_data(as_text=True)
    row = building.split('data-testid="bridge-row-2026-10"')[1].split("</tr>")[0]
    assert ">500.00<" in row and ">−300.00<" in row and ">200.00<" in row


def test_the_dashboard_names_the_five_longest_lapsed_and_counts_the_rest(login, world, session):
    a = world["a"]
    for n in range(6):  # six more, each ended a day later than the one before
        unit = f.unit(session, a, 4, f"0{n}", 100)
        company = f.company(session, f"到期{n}号有限公司")
        f.lease(session, company, a, [unit], date(2024, 1, 1), date(2026, 10, 16 + n))
    session.commit()
    home = login("ly")
    dashboard = home.get("/?month=2026-10").get_data(as_text=True)
    panel = dashboard.split('data-testid="dashboard-lapsed"')[1].split("</div>")[0]
    assert "到期未处置的租约 7 份" in panel and "……另有 2 份" in panel
    assert "到期未续有限公司" in panel and "到期3号有限公司" in panel and "到期4号有限公司" not in panel
    tiles = home.get("/").get_data(as_text=True)
    assert "7 份" in tiles.split('data-testid="home-lapsed"')[1][:400]
