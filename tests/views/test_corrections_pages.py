"""Corrections and dated self-use as a manager and a script meet them: the API's move-in
confirmation, the units API on a date, the unit page's self-use form."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.models import Correction, OccupancySnapshot, UnitSelfUse
from crm.services import unit_ops
from crm.services.confirmation import confirm_month
from tests import factories as f
from tests.api_world import VALID_USCC

TODAY = date(2026, 11, 15)


def confirm_october(session, world):
    confirm_month(session, world["users"]["ly"], world["a"], "2026-10", TODAY)
    session.commit()


def test_api_confirming_a_move_in_dated_in_a_confirmed_month_needs_a_reason(caller, world, session):
    body = {"building": "A01", "unit_ids": [world["vacant"].id], "start_date": "2026-10-20", "uscc": VALID_USCC}
    request_id = caller("zs1").post(f"/api/v1/leads/{world['landing'].id}/movein-requests", json=body).get_json()["id"]
    confirm_october(session, world)
    refused = caller("ly").post(f"/api/v1/movein-requests/{request_id}/confirm")
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "correction_reason"
    assert "甲大厦 2026年10月的入驻数据已确认" in refused.get_json()["error"]
    assert caller("ly").post(f"/api/v1/movein-requests/{request_id}/confirm", json=[1]).status_code == 400

    done = caller("ly").post(
        f"/api/v1/movein-requests/{request_id}/confirm", json={"correction_reason": "10 月 20 日已入驻"}
    )
    assert done.status_code == 200, done.get_json()
    session.expire_all()
    [correction] = session.scalars(select(Correction)).all()
    assert (correction.operation, correction.reason, correction.figures["occupied_area"]) == (
        "movein_request",
        "10 月 20 日已入驻",
        ["200", "300"],
    )
    lease_id = done.get_json()["lease_id"]
    assert [(i.change.object_type, i.change.object_id) for i in correction.items] == [("lease", lease_id)]


def test_units_api_reads_self_use_on_the_date_asked(caller, world, session):
    unit_ops.start_self_use(session, world["vacant"], date(2026, 12, 1))
    session.commit()
    before = caller("zs1").get("/api/v1/buildings/A01/units?on=2026-11-30").get_json()["items"]
    after = caller("zs1").get("/api/v1/buildings/A01/units?on=2026-12-01").get_json()["items"]
    vacant_before = next(u for u in before if u["label"] == "3F-01")
    vacant_after = next(u for u in after if u["label"] == "3F-01")
    assert (vacant_before["status"], vacant_before["self_use"]) == ("vacant", False)
    assert vacant_before["self_use_period"] is None
    assert (vacant_after["status"], vacant_after["self_use"]) == ("self_use", True)
    assert vacant_after["self_use_period"] == {"start_date": "2026-12-01", "end_date": None}


def test_the_unit_page_marks_self_use_from_a_date_as_a_correction_when_it_must(app, world, session):
    confirm_october(session, world)
    client = app.test_client()
    assert client.post("/login", data={"username": "ly", "password": f.PASSWORD}).status_code == 302
    path = f"/buildings/A01/units/{world['vacant'].id}"
    page = client.get(path).get_data(as_text=True)
    assert "设为自用" in page and "自用起始日期" in page

    refused = client.post(f"{path}/self-use", data={"self_use_from": "2026-10-20"})
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "2026年10月的入驻数据已确认" in text and "只能作为更正提交" in text
    assert session.scalar(select(UnitSelfUse.id)) is None

    done = client.post(f"{path}/self-use", data={"self_use_from": "2026-10-20", "correction_reason": "物业自用"})
    assert done.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "2026-10-20起" in page and "结束自用" in page
    snapshot = session.scalar(select(OccupancySnapshot))
    assert (snapshot.version, snapshot.leasable_area) == (2, 200)

    ended = client.post(f"{path}/self-use", data={"action": "end", "self_use_until": "2026-12-31"})
    assert ended.status_code == 302
    session.expire_all()
    assert [(p.start_date, p.end_date) for p in session.scalars(select(UnitSelfUse))] == [
        (date(2026, 10, 20), date(2026, 12, 31))
    ]
