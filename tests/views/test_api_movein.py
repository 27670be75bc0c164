"""The integration API's landing: a promoter records a move-in request, the building's manager
confirms it (a lease, the lead settled) or sends it back; each refusal writes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from crm.models import Company, Lead, Lease, MoveInRequest
from tests import factories as f
from tests.api_world import VALID_USCC


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def landing(world, **changes) -> dict:
    body = {
        "building": "A01",
        "unit_ids": [world["vacant"].id],
        "start_date": "2026-11-20",
        "end_date": "2029-11-19",
        "uscc": VALID_USCC,
        "company_name": "大连星海咨询有限公司",
    }
    return body | changes


def record(caller, world, who="zs1", **changes):
    return caller(who).post(f"/api/v1/leads/{world['landing'].id}/movein-requests", json=landing(world, **changes))


def test_a_promoter_records_a_landing(caller, world, session):
    response = record(caller, world)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["building"] == {"code": "A01", "name": "甲大厦"}
    assert [u["label"] for u in body["units"]] == ["3F-01"] and body["requested_by"]["name"] == "zs1"
    row = session.scalar(select(MoveInRequest))
    assert (row.lead_id, row.building_id, row.unit_id_list, row.start_date, row.end_date, row.status) == (
        world["landing"].id,
        world["a"].id,
        [world["vacant"].id],
        date(2026, 11, 20),
        date(2029, 11, 19),
        "pending",
    )
    company = session.get(Company, row.company_id)
    assert (company.name, company.uscc, company.registered_in_district) == ("大连星海咨询有限公司", VALID_USCC, True)
    lead = caller("zs1").get(f"/api/v1/leads/{world['landing'].id}").get_json()
    assert lead["movein_requests"][0]["id"] == body["id"] and lead["uscc"] == VALID_USCC


def test_bad_landings_name_the_field_and_write_nothing(caller, world, session):
    companies = count(session, Company)
    cases = [
        ({"building": "ZZ9"}, "building", "不存在"),
        ({"building": None}, "building", "请选择落地楼宇"),
        ({"unit_ids": [world["let"].id]}, "unit_ids", "不是空置的"),
        ({"unit_ids": [world["b_unit"].id]}, "unit_ids", "不属于"),
        ({"unit_ids": []}, "unit_ids", "请选择入驻的单元"),
        ({"unit_ids": "3F-01"}, "unit_ids", "整数列表"),
        ({"start_date": None}, "start_date", "请填写入驻日期"),
        ({"end_date": "2026-11-01"}, "end_date", "早于入驻日期"),
        ({"uscc": "91310110666007217U"}, "uscc", ""),
        ({"company_name": "名" * 201}, "company_name", "200"),
        ({"registered_in_district": "yes"}, "registered_in_district", "true 或 false"),
    ]
    for changes, field, words in cases:
        response = record(caller, world, **changes)
        error = response.get_json()
        assert response.status_code == 400 and error["field"] == field and words in error["error"], (changes, error)
    assert count(session, MoveInRequest) == 0 and count(session, Company) == companies


def test_only_a_registered_lead_lands_and_only_once(caller, world, session):
    response = caller("zs1").post(f"/api/v1/leads/{world['followed'].id}/movein-requests", json=landing(world))
    assert (
        response.status_code == 400
        and response.get_json()["field"] == "building"
        and "注册落地" in response.get_json()["error"]
    )
    assert record(caller, world).status_code == 201
    again = record(caller, world)
    assert again.status_code == 400 and "待确认的入驻申请" in again.get_json()["error"]
    assert count(session, MoveInRequest) == 1


def test_landing_refused_by_role_and_ownership(caller, world, session):
    assert record(caller, world, who="zs2").status_code == 403  # zs1's lead
    assert record(caller, world, who="leader").status_code == 403
    assert record(caller, world, who="ly").status_code == 403
    assert count(session, MoveInRequest) == 0
    assert record(caller, world, who="admin").status_code == 201


def test_requests_listed_per_managers_buildings(caller, world):
    request_id = record(caller, world).get_json()["id"]
    assert [r["id"] for r in caller("ly").get("/api/v1/movein-requests").get_json()["items"]] == [request_id]
    assert caller("ly2").get("/api/v1/movein-requests").get_json()["items"] == []
    assert len(caller("leader").get("/api/v1/movein-requests?status=all").get_json()["items"]) == 1
    assert caller("ly").get("/api/v1/movein-requests?status=confirmed").get_json()["items"] == []
    assert caller("ly").get("/api/v1/movein-requests?status=done").get_json()["field"] == "status"
    assert caller("zs1").get("/api/v1/movein-requests").status_code == 403


def test_the_buildings_manager_confirms_a_lease_follows(caller, world, session):
    request_id = record(caller, world).get_json()["id"]
    assert caller("ly2").post(f"/api/v1/movein-requests/{request_id}/confirm").status_code == 403
    assert caller("zs1").post(f"/api/v1/movein-requests/{request_id}/confirm").status_code == 403
    assert count(session, Lease) == 2
    response = caller("ly").post(f"/api/v1/movein-requests/{request_id}/confirm")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "confirmed" and body["decided_by"]["name"] == "ly" and body["lease_id"] is not None
    session.expire_all()
    lease = session.get(Lease, body["lease_id"])
    assert ([u.id for u in lease.units], lease.start_date, lease.end_date) == (
        [world["vacant"].id],
        date(2026, 11, 20),
        date(2029, 11, 19),
    )
    assert session.get(Lead, world["landing"].id).stage == "settled"
    units = caller("ly").get("/api/v1/buildings/A01/units?on=2026-11-20&status=occupied").get_json()["items"]
    assert {u["label"] for u in units} == {"3F-01", "3F-02"}
    twice = caller("admin").post(f"/api/v1/movein-requests/{request_id}/confirm")
    assert twice.status_code == 409 and twice.get_json() == {
        "error": "该入驻申请已处理过",
        "field": "status",
        "status": 409,
    }
    assert caller("admin").post("/api/v1/movein-requests/999999/confirm").status_code == 404


def test_a_confirmation_is_refused_when_the_unit_was_let_in_between(caller, world, session):
    request_id = record(caller, world).get_json()["id"]
    f.lease(session, world["tenant_b"], world["a"], [world["vacant"]], date(2026, 11, 18))
    session.commit()
    response = caller("ly").post(f"/api/v1/movein-requests/{request_id}/confirm")
    assert response.status_code == 400 and response.get_json()["field"] == "unit_ids"
    session.expire_all()
    assert (
        session.get(MoveInRequest, request_id).status == "pending"
        and session.get(Lead, world["landing"].id).stage == "registered"
    )


def test_a_rejection_needs_its_reason(caller, world, session):
    request_id = record(caller, world).get_json()["id"]
    missing = caller("ly").post(f"/api/v1/movein-requests/{request_id}/reject", json={})
    assert missing.status_code == 400 and missing.get_json()["field"] == "note"
    assert caller("ly2").post(f"/api/v1/movein-requests/{request_id}/reject", json={"note": "x"}).status_code == 403
    session.expire_all()
    assert session.get(MoveInRequest, request_id).status == "pending"
    response = caller("ly").post(f"/api/v1/movein-requests/{request_id}/reject", json={"note": "单元面积与申请不符"})
    assert response.status_code == 200 and response.get_json()["note"] == "单元面积与申请不符"
    session.expire_all()
    row = session.get(MoveInRequest, request_id)
    assert (row.status, row.note, row.decided_by_id) == ("rejected", "单元面积与申请不符", world["users"]["ly"].id)
    assert caller("ly").post(f"/api/v1/movein-requests/{request_id}/reject", json={"note": "再退"}).status_code == 409
