"""The integration API's pipeline: leads with the /leads filters, one lead with its history, my
follow-ups, and the daily writes — a follow-up and a stage move (with the 409 on a stale version).
Every refusal is checked against the database: nothing written."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from crm.models import FollowUp, Lead, LeadStageChange


def count(session, model, **where) -> int:
    return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def fresh(session, lead_id) -> Lead:
    session.expire_all()
    return session.get(Lead, lead_id)


# ------------------------------------------------------------------------------------------
# reading


def test_leads_list_with_the_pages_filters(caller, world):
    zs1 = caller("zs1")
    body = zs1.get("/api/v1/leads").get_json()
    assert body["total"] == 3
    assert [lead["company_name"] for lead in body["items"]] == [  # by next follow-up date, as the page
        "华信（大连）软件有限公司",
        "大连星海咨询有限公司",
        "大连蓝港数据科技有限公司",
    ]
    followed = body["items"][2]
    assert followed["owner"] == {"id": world["users"]["zs1"].id, "name": "zs1"}
    assert (followed["stage"], followed["stage_label"], followed["intended_area"], followed["expected_annual_tax"]) == (
        "visit",
        "考察",
        500.0,
        3000000.0,
    )
    assert followed["target_buildings"] == [{"code": "A01", "name": "甲大厦"}] and followed["version"] == 1
    assert body["items"][0]["flags"] == ["first_followup_late", "followup_overdue"]
    mine = zs1.get("/api/v1/leads?owner=me").get_json()["items"]
    assert {lead["company_name"] for lead in mine} == {"大连蓝港数据科技有限公司", "大连星海咨询有限公司"}
    overdue = zs1.get("/api/v1/leads?overdue=followup").get_json()["items"]
    assert [lead["company_name"] for lead in overdue] == ["华信（大连）软件有限公司"]
    assert zs1.get("/api/v1/leads?stage=registered").get_json()["total"] == 1
    assert zs1.get("/api/v1/leads?building=A01").get_json()["total"] == 1
    assert zs1.get("/api/v1/leads?q=蓝港&per_page=1").get_json()["total"] == 1
    assert zs1.get("/api/v1/leads?sort=company&dir=desc&per_page=2").get_json()["pages"] == 2


def test_leads_refuse_bad_filters_and_managers(caller, world):
    for query, field in [
        ("stage=won", "stage"),
        ("owner=abc", "owner"),
        ("building=ZZ9", "building"),
        ("overdue=yes", "overdue"),
        ("per_page=201", "per_page"),
    ]:
        response = caller("leader").get(f"/api/v1/leads?{query}")
        assert response.status_code == 400 and response.get_json()["field"] == field, query
    # Control characters are dropped on every path, as a search for nothing.
    everything = caller("leader").get("/api/v1/leads").get_json()["total"]
    assert caller("leader").get("/api/v1/leads?q=%00%1b").get_json()["total"] == everything
    assert caller("ly").get("/api/v1/leads").status_code == 403
    assert caller("ly").get(f"/api/v1/leads/{world['followed'].id}").status_code == 403


def test_one_lead_with_followups_and_stage_history(caller, world, session):
    lead = world["followed"]
    zs1 = caller("zs1")
    zs1.post(f"/api/v1/leads/{lead.id}/followups", json={"method": "电话", "notes": "约好下周考察"})
    zs1.post(
        f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "negotiation", "version": fresh(session, lead.id).version}
    )
    body = caller("leader").get(f"/api/v1/leads/{lead.id}").get_json()
    assert body["stage"] == "negotiation" and body["version"] == 3
    assert [(f["method"], f["notes"], f["on"], f["author"]["name"]) for f in body["followups"]] == [
        ("电话", "约好下周考察", "2026-11-15", "zs1")
    ]
    assert [(c["from_stage"], c["to_stage"], c["user"]["name"]) for c in body["stage_history"]] == [
        ("visit", "negotiation", "zs1")
    ]
    assert body["stage_history"][0]["changed_at"].endswith("+00:00")
    assert body["movein_requests"] == []
    assert caller("leader").get("/api/v1/leads/999999").status_code == 404
    assert caller("leader").get(f"/api/v1/leads/{lead.id}/followups").get_json()["items"][0]["notes"] == "约好下周考察"


def test_my_followups_due_overdue_never_upcoming(caller, world):
    mine = caller("zs1").get("/api/v1/followups").get_json()
    assert mine["today"] == "2026-11-15" and mine["overdue"] == [] and mine["due_today"] == []
    assert [lead["company_name"] for lead in mine["upcoming"]] == ["大连星海咨询有限公司", "大连蓝港数据科技有限公司"]
    # a promoter always sees their own, whatever owner says
    assert caller("zs2").get(f"/api/v1/followups?owner={world['users']['zs1'].id}").get_json()["upcoming"] == []
    theirs = caller("zs2").get("/api/v1/followups").get_json()
    assert [(lead["company_name"], lead["days"]) for lead in theirs["overdue"]] == [("华信（大连）软件有限公司", 3)]
    assert [(lead["company_name"], lead["days"]) for lead in theirs["never"]] == [("华信（大连）软件有限公司", 14)]
    everyone = caller("admin").get("/api/v1/followups").get_json()
    assert len(everyone["overdue"]) == 1 and len(everyone["upcoming"]) == 2
    assert caller("ly").get("/api/v1/followups").status_code == 403


# ------------------------------------------------------------------------------------------
# a follow-up


def test_a_promoter_records_a_followup_on_their_lead(caller, world, session):
    lead = world["followed"]
    response = caller("zs1").post(
        f"/api/v1/leads/{lead.id}/followups",
        json={"method": "走访", "notes": "  到企业总部面谈 ", "on": "2026-11-14", "next_on": "2026-11-25"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["followup"]["notes"] == "到企业总部面谈" and body["followup"]["next_followup_on"] == "2026-11-25"
    assert body["lead"]["next_followup_on"] == "2026-11-25" and body["lead"]["version"] == 2
    row = session.scalar(select(FollowUp).where(FollowUp.lead_id == lead.id))
    assert (row.method, row.on, row.next_followup_on, row.author_id) == (
        "走访",
        date(2026, 11, 14),
        date(2026, 11, 25),
        world["users"]["zs1"].id,
    )
    stored = fresh(session, lead.id)
    assert (stored.next_followup_on, stored.last_followup_on) == (date(2026, 11, 25), date(2026, 11, 14))


def test_next_followup_defaults_to_a_week_later(caller, world, session):
    response = caller("admin").post(
        f"/api/v1/leads/{world['overdue'].id}/followups", json={"method": "微信", "notes": "发资料"}
    )
    assert response.status_code == 201 and response.get_json()["followup"]["next_followup_on"] == "2026-11-22"


def test_followups_refused_by_role_and_ownership(caller, world, session):
    body = {"method": "电话", "notes": "x"}
    assert caller("zs1").post(f"/api/v1/leads/{world['overdue'].id}/followups", json=body).status_code == 403  # zs2's
    assert caller("leader").post(f"/api/v1/leads/{world['followed'].id}/followups", json=body).status_code == 403
    assert caller("ly").post(f"/api/v1/leads/{world['followed'].id}/followups", json=body).status_code == 403
    assert caller("zs1").post("/api/v1/leads/999999/followups", json=body).status_code == 404
    assert count(session, FollowUp) == 0


def test_bad_followups_name_the_field_and_write_nothing(caller, world, session):
    lead = world["followed"]
    cases = [
        ({"method": "飞鸽传书", "notes": "x"}, "method", "跟进方式"),
        ({"method": "电话"}, "notes", "请填写跟进内容"),
        ({"method": "电话", "notes": 42}, "notes", "应为文本"),
        ({"method": "电话", "notes": "x", "on": "2026-11-16"}, "on", "晚于今天"),
        ({"method": "电话", "notes": "x", "on": "16/11/2026"}, "on", "YYYY-MM-DD"),
        ({"method": "电话", "notes": "x", "next_on": "2026-11-01"}, "next_on", "已经过去"),
        (["电话"], "body", "JSON 对象"),
    ]
    for payload, field, words in cases:
        response = caller("zs1").post(f"/api/v1/leads/{lead.id}/followups", json=payload)
        error = response.get_json()
        assert response.status_code == 400 and error["field"] == field and words in error["error"], payload
    form = caller("zs1").post(f"/api/v1/leads/{lead.id}/followups", data={"method": "电话", "notes": "x"})
    assert form.status_code == 400 and form.get_json()["field"] == "body"
    assert count(session, FollowUp) == 0
    assert fresh(session, lead.id).next_followup_on == date(2026, 11, 20)


# ------------------------------------------------------------------------------------------
# a stage move


def test_a_promoter_moves_their_lead_with_the_version_read(caller, world, session):
    lead = world["followed"]
    seen = caller("zs1").get(f"/api/v1/leads/{lead.id}").get_json()["version"]
    response = caller("zs1").post(f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "signed", "version": seen})
    assert response.status_code == 200
    assert response.get_json()["stage"] == "signed" and response.get_json()["version"] == seen + 1
    stored = fresh(session, lead.id)
    assert (stored.stage, stored.signed_on) == ("signed", date(2026, 11, 15))
    change = session.scalar(select(LeadStageChange).where(LeadStageChange.lead_id == lead.id))
    assert (change.from_stage, change.to_stage, change.user_id) == ("visit", "signed", world["users"]["zs1"].id)


def test_a_stale_version_is_a_conflict_and_changes_nothing(caller, world, session):
    lead = world["followed"]
    seen = caller("zs1").get(f"/api/v1/leads/{lead.id}").get_json()["version"]
    assert (
        caller("admin")
        .post(f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "negotiation", "version": seen})
        .status_code
        == 200
    )
    response = caller("zs1").post(
        f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "lost", "version": seen, "reason": "预算不足"}
    )
    assert response.status_code == 409
    error = response.get_json()
    assert error["field"] == "version" and "刚被admin 修改过（当前阶段：洽谈）" in error["error"]
    stored = fresh(session, lead.id)
    assert (stored.stage, stored.lost_reason) == ("negotiation", None)
    assert count(session, LeadStageChange, lead_id=lead.id) == 1


def test_lost_needs_a_reason_and_paused_a_resume_date(caller, world, session):
    lead = world["followed"]
    zs1 = caller("zs1")
    cases = [
        ({"to_stage": "lost", "version": 1}, "reason", "项目退出须填写原因"),
        ({"to_stage": "paused", "version": 1}, "resume_on", "恢复跟进日期"),
        ({"to_stage": "paused", "version": 1, "resume_on": "2026-11-15"}, "resume_on", "应晚于今天"),
        ({"to_stage": "settled", "version": 1}, "to_stage", "楼宇管理员确认"),
        ({"to_stage": "won", "version": 1}, "to_stage", "不存在"),
        ({"to_stage": "visit", "version": 1}, "to_stage", "已处于"),
        ({"version": 1}, "to_stage", "请填写目标阶段"),
        ({"to_stage": "signed"}, "version", "请填写版本号"),
        ({"to_stage": "signed", "version": "one"}, "version", "应为整数"),
        ({"to_stage": "signed", "version": True}, "version", "应为整数"),
    ]
    for payload, field, words in cases:
        response = zs1.post(f"/api/v1/leads/{lead.id}/stage", json=payload)
        error = response.get_json()
        assert response.status_code == 400 and error["field"] == field and words in error["error"], (payload, error)
    assert fresh(session, lead.id).stage == "visit" and count(session, LeadStageChange) == 0
    paused = zs1.post(
        f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "paused", "version": 1, "resume_on": "2027-01-10"}
    )
    assert paused.status_code == 200 and paused.get_json()["paused_until"] == "2027-01-10"
    lost = zs1.post(f"/api/v1/leads/{lead.id}/stage", json={"to_stage": "lost", "version": 2, "reason": "选址外地"})
    assert lost.status_code == 200 and fresh(session, lead.id).lost_reason == "选址外地"


def test_stage_moves_refused_by_role_and_ownership(caller, world, session):
    payload = {"to_stage": "contact", "version": 1}
    assert caller("zs1").post(f"/api/v1/leads/{world['overdue'].id}/stage", json=payload).status_code == 403
    assert caller("leader").post(f"/api/v1/leads/{world['overdue'].id}/stage", json=payload).status_code == 403
    assert caller("ly").post(f"/api/v1/leads/{world['overdue'].id}/stage", json=payload).status_code == 403
    assert fresh(session, world["overdue"].id).stage == "lead"
    assert caller("admin").post(f"/api/v1/leads/{world['overdue'].id}/stage", json=payload).status_code == 200
