"""The warnings pages and API as their users read them: counts by rule and state, filters, the
overdue flag, a manager handling a warning with a reason (and a bad input answered and kept), the
building page's panel, the thresholds page, the JSON list — and queries that do not grow with
the rows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from crm.extensions import db
from crm.models import EarlyWarning, Setting
from tests import factories as f


def warning(session, building, owner, rule="occupancy_drop", state="pending", created_on="2026-11-10", n=1, **kw):
    w = EarlyWarning(
        rule=rule,
        object_type="building",
        object_id=building.id * 1000 + n,
        period="2026-10",
        building_id=building.id,
        title=kw.pop("title", f"{building.name} 入驻率下滑 {n}"),
        severity="medium",
        figures={"drop_points": 5.0},
        tax_at_stake=kw.pop("tax", 0),
        owner_id=owner.id,
        state=state,
        created_on=created_on,
        **kw,
    )
    session.add(w)
    session.flush()
    return w


@pytest.fixture()
def scene(session):
    a, b = f.building(session, "W1", "甲大厦"), f.building(session, "W2", "乙大厦")
    users = {
        "admin": f.user(session, "adm", "admin"),
        "mgr": f.user(session, "mgr", "manager", [a]),
        "other": f.user(session, "mgr2", "manager", [b]),
    }
    ws = {
        "late": warning(session, a, users["mgr"], created_on="2026-11-07", n=1),  # pending 8 days on 11-15: overdue
        "fresh": warning(session, a, users["mgr"], created_on="2026-11-08", n=2),  # 7 days: not yet
        "handling": warning(session, a, users["mgr"], rule="unconfirmed", state="handling", n=3),
        "theirs": warning(session, b, users["other"], rule="tier_at_risk", n=4),
    }
    session.commit()
    return dict(a=a, b=b, users=users, warnings=ws)


def text(response) -> str:
    return response.get_data(as_text=True)


def by_testid(html, name) -> str:
    return re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html).group(1).strip()


def test_the_list_counts_by_rule_and_state_and_flags_the_overdue(login, scene):
    html = text(login("adm").get("/warnings"))
    assert (by_testid(html, "count-pending"), by_testid(html, "count-handling"), by_testid(html, "count-overdue")) == (
        "3",
        "1",
        "1",
    )
    assert html.count('data-testid="warning-row"') == 4
    assert html.count('data-testid="overdue-badge"') == 1
    overdue = text(login("adm").get("/warnings?overdue=1"))  # the same client, still signed in
    assert by_testid(overdue, "warning-total") == "共 1 条" and "甲大厦 入驻率下滑 1" in overdue


def test_filters_and_a_managers_scope(login, scene):
    client = login("mgr")
    html = text(client.get("/warnings"))
    assert html.count('data-testid="warning-row"') == 3 and "乙大厦" not in html
    assert text(client.get("/warnings?rule=unconfirmed")).count('data-testid="warning-row"') == 1
    assert text(client.get("/warnings?state=handling")).count('data-testid="warning-row"') == 1
    refused = text(client.get("/warnings?building=W2"))  # not theirs: explained, all of theirs shown
    assert "楼宇代码无效或不在您的管辖范围：W2" in refused and refused.count('data-testid="warning-row"') == 3
    assert client.get(f"/warnings/{scene['warnings']['theirs'].id}").status_code == 403


def test_a_manager_handles_a_warning_to_resolved_with_a_reason(login, scene, session):
    w = scene["warnings"]["late"]
    client = login("mgr")
    assert client.post(f"/warnings/{w.id}/start", data={"start-note": "已电话联系业主"}).status_code == 302
    bad = client.post(f"/warnings/{w.id}/resolve", data={"resolve-reason": "", "resolve-note": "新租户下月入驻"})
    page = text(bad)
    assert bad.status_code == 200 and "请选择解除原因" in page and "新租户下月入驻" in page  # kept as typed
    session.expire_all()
    assert session.get(EarlyWarning, w.id).state == "handling"
    done = client.post(
        f"/warnings/{w.id}/resolve", data={"resolve-reason": "retained", "resolve-note": "新租户下月入驻"}
    )
    assert done.status_code == 302
    page = text(client.get(f"/warnings/{w.id}"))
    assert by_testid(page, "warning-state") == "已解除"
    assert "已挽留（迁回或恢复）：新租户下月入驻" in page and "待处置 → 处置中" in page and "处置中 → 已解除" in page
    session.expire_all()
    stored = session.get(EarlyWarning, w.id)
    assert (stored.state, stored.resolve_reason, stored.resolved_by_id) == (
        "resolved",
        "retained",
        scene["users"]["mgr"].id,
    )


def test_the_building_page_shows_its_warnings(login, scene):
    html = text(login("mgr").get("/buildings/W1"))
    panel = html.split('data-testid="building-warnings"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "3 条未解除" in panel and "甲大厦 入驻率下滑 1" in panel and "乙大厦" not in panel


def test_the_thresholds_page_checks_and_saves(login, scene, session):
    client = login("adm")
    form = {
        "warn_top_n": "50",
        "warn_tax_drop_pct": "25",
        "warn_lease_days": "120",
        "warn_occupancy_points": "3.5",
        "warn_confirm_days": "10",
        "warn_outflow_days": "30",
        "warn_overdue_days": "7",
    }
    bad = client.post("/admin/warnings/settings", data=form | {"warn_tax_drop_pct": "三十"})
    assert "税收下滑阈值（%）应为数字：三十" in text(bad) and 'value="120"' in text(bad)
    assert session.get(Setting, "warn_top_n") is None  # nothing written
    assert client.post("/admin/warnings/settings", data=form).status_code == 302
    assert {k: session.get(Setting, k).value for k in ("warn_top_n", "warn_occupancy_points")} == {
        "warn_top_n": "50",
        "warn_occupancy_points": "3.5",
    }


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": f.PASSWORD}).status_code == 302
    return client


def test_the_api_lists_with_filters_paging_and_scope(app, scene):
    body = signed_in(app, "mgr").get("/api/v1/warnings?state=pending&per_page=1").get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (2, 2, 1)
    assert body["items"][0]["building"] == {"code": "W1", "name": "甲大厦"}
    admin = signed_in(app, "adm")
    assert admin.get("/api/v1/warnings?rule=tier_at_risk").get_json()["total"] == 1
    wrong = admin.get("/api/v1/warnings?state=closed")
    assert wrong.status_code == 400 and wrong.get_json()["field"] == "state"


def test_list_queries_do_not_grow_with_the_warnings(login, scene, session):
    client = login("adm")

    def queries():
        count = [0]

        def on_execute(*args):
            count[0] += 1

        event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            assert client.get("/warnings").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", on_execute)
        return count[0]

    queries()  # settings and tokens warmed
    before = queries()
    a = scene["a"]
    owners = [session.scalar(select(f.User).where(f.User.username == name)) for name in ("mgr", "adm", "mgr2")]
    for n in range(40):
        warning(session, a, owners[n % 3], rule=["tax_drop", "outflow", "lease_expiry"][n % 3], n=100 + n)
    session.commit()
    assert queries() == before
