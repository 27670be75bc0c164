"""Leads: validation, stage rules with their history, optimistic concurrency, reassigning,
the filtered list and the deadline flags."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import Lead, LeadStageChange, Setting
from crm.services import leads
from crm.services.errors import DomainError
from tests import factories as f

TODAY = date(2026, 11, 15)


@pytest.fixture()
def people(session):
    return {
        "zs1": f.user(session, "zs1", "promoter"),
        "zs2": f.user(session, "zs2", "promoter"),
        "admin": f.user(session, "admin", "admin"),
    }


def data(**kw) -> leads.LeadInput:
    values = dict(
        company_name="大连蓝港数据科技有限公司",
        source="展会",
        industry_group="数字技术服务",
        intended_area="600",
        expected_annual_tax="3000000",
    )
    values.update(kw)
    return leads.LeadInput(**values)


def stages(session, lead) -> list[tuple]:
    rows = session.execute(
        select(LeadStageChange.from_stage, LeadStageChange.to_stage, LeadStageChange.note)
        .where(LeadStageChange.lead_id == lead.id)
        .order_by(LeadStageChange.id)
    )
    return [tuple(r) for r in rows]


def test_create_sets_owner_first_followup_deadline_and_history(session, people):
    b = f.building(session, "XG01")
    lead = leads.create_lead(
        session, data(target_building_ids=[b.id], uscc=" 91210200241281392f "), people["zs1"], TODAY
    )
    assert lead.owner == people["zs1"] and lead.stage == "lead" and lead.created_on == TODAY
    assert lead.next_followup_on == date(2026, 11, 18)  # first follow-up within 3 days
    assert lead.uscc == "91210200241281392F" and lead.intended_area == Decimal("600.00")
    assert [x.code for x in lead.target_buildings] == ["XG01"]
    assert stages(session, lead) == [(None, "lead", "新建项目")]


def test_admin_names_the_owner_and_it_must_be_a_promoter(session, people):
    lead = leads.create_lead(session, data(owner_id=people["zs2"].id), people["admin"], TODAY)
    assert lead.owner == people["zs2"]
    with pytest.raises(DomainError, match="招商专员") as error:
        leads.create_lead(session, data(company_name="另一家公司", owner_id=people["admin"].id), people["admin"], TODAY)
    assert error.value.field == "owner_id"


@pytest.mark.parametrize(
    "kw, field, message",
    [
        ({"company_name": "  "}, "company_name", "请填写企业名称"),
        ({"uscc": "91310110666007217U"}, "uscc", "校验位错误"),
        ({"source": "朋友介绍"}, "source", "项目来源"),
        ({"intended_area": "六百"}, "intended_area", "意向面积应为数字"),
        ({"expected_annual_tax": "-5"}, "expected_annual_tax", "不能为负数"),
        ({"next_followup_on": date(2026, 11, 14)}, "next_followup_on", "早于今天"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(session, people, kw, field, message):
    with pytest.raises(DomainError, match=message) as error:
        leads.create_lead(session, data(**kw), people["zs1"], TODAY)
    assert error.value.field == field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_stage_moves_are_recorded_with_who(session, people):
    lead = leads.create_lead(session, data(), people["zs1"], TODAY)
    leads.move_stage(session, lead, "contact", people["zs1"], TODAY)
    leads.move_stage(session, lead, "negotiation", people["zs1"], TODAY, reason="对方总经理来访")
    leads.move_stage(session, lead, "signed", people["zs1"], TODAY)
    assert lead.stage == "signed" and lead.signed_on == TODAY
    assert stages(session, lead)[1:] == [
        ("lead", "contact", None),
        ("contact", "negotiation", "对方总经理来访"),
        ("negotiation", "signed", None),
    ]
    assert {c.user_id for c in session.scalars(select(LeadStageChange))} == {people["zs1"].id}


def test_lost_needs_a_reason_and_paused_a_future_resume_date(session, people):
    lead = leads.create_lead(session, data(), people["zs1"], TODAY)
    with pytest.raises(DomainError, match="须填写原因") as error:
        leads.move_stage(session, lead, "lost", people["zs1"], TODAY, reason="  ")
    assert error.value.field == "reason" and lead.stage == "lead"
    with pytest.raises(DomainError, match="恢复跟进日期"):
        leads.move_stage(session, lead, "paused", people["zs1"], TODAY)
    with pytest.raises(DomainError, match="晚于今天"):
        leads.move_stage(session, lead, "paused", people["zs1"], TODAY, resume_on=TODAY)
    leads.move_stage(session, lead, "paused", people["zs1"], TODAY, resume_on=date(2027, 1, 10))
    assert lead.paused_until == date(2027, 1, 10) and lead.next_followup_on == date(2027, 1, 10)
    leads.move_stage(session, lead, "lost", people["zs1"], TODAY, reason="企业选择落户外区")
    assert lead.lost_reason == "企业选择落户外区"
    assert stages(session, lead)[-1] == ("paused", "lost", "企业选择落户外区")


def test_settled_is_final_and_only_reached_by_landing(session, people):
    lead = leads.create_lead(session, data(), people["zs1"], TODAY)
    with pytest.raises(DomainError, match="楼宇管理员确认"):
        leads.move_stage(session, lead, "settled", people["zs1"], TODAY)
    leads.move_stage(session, lead, "settled", people["zs1"], TODAY, via_landing=True)
    for target in ("registered", "lead", "lost"):
        with pytest.raises(DomainError, match="已入驻，不能再退回"):
            leads.move_stage(session, lead, target, people["zs1"], TODAY, reason="x")
    assert lead.stage == "settled"


def test_second_mover_of_the_same_card_gets_a_conflict(session, people):
    lead = leads.create_lead(session, data(), people["zs1"], TODAY)
    session.commit()
    seen = lead.version  # both users loaded the board at this version
    leads.move_stage(session, lead, "contact", people["zs1"], TODAY, version=seen)
    session.commit()
    with pytest.raises(DomainError, match="刚被zs1 修改过（当前阶段：接洽）") as error:
        leads.move_stage(session, lead, "visit", people["admin"], TODAY, version=seen)
    assert error.value.field == "version"
    session.rollback()
    assert session.get(Lead, lead.id).stage == "contact"


def test_reassign_records_who_had_it(session, people):
    lead = leads.create_lead(session, data(), people["zs1"], TODAY)
    leads.reassign_owner(session, lead, people["zs2"].id, people["admin"])
    assert lead.owner == people["zs2"]
    assert stages(session, lead)[-1] == ("lead", "lead", "负责人由 zs1 改为 zs2")
    with pytest.raises(DomainError, match="已是该项目的负责人"):
        leads.reassign_owner(session, lead, people["zs2"].id, people["admin"])


def test_flags_follow_the_configurable_deadlines(session, people):
    zs = people["zs1"]
    rules = leads.pipeline_rules(session)
    assert (rules.first_followup_days, rules.stale_days, rules.signed_register_days) == (3, 14, 90)
    new = f.lead(session, zs, "新线索", created_on=date(2026, 11, 12))  # 3 days: still in time
    late = f.lead(session, zs, "晚了", created_on=date(2026, 11, 11))  # 4 days, never followed up
    stale = f.lead(
        session, zs, "久未跟进", stage="visit", created_on=date(2026, 9, 1), last_followup_on=date(2026, 10, 31)
    )
    fresh = f.lead(
        session, zs, "刚跟进", stage="visit", created_on=date(2026, 9, 1), last_followup_on=date(2026, 11, 1)
    )
    signed = f.lead(
        session,
        zs,
        "签约久",
        stage="signed",
        created_on=date(2026, 5, 1),
        last_followup_on=TODAY,
        signed_on=date(2026, 8, 16),
        next_followup_on=date(2026, 11, 14),
    )
    lost = f.lead(session, zs, "退出", stage="lost", created_on=date(2026, 1, 1))
    flags = {
        lead.company_name: leads.lead_flags(lead, TODAY, rules) for lead in (new, late, stale, fresh, signed, lost)
    }
    assert flags == {
        "新线索": [],
        "晚了": ["first_followup_late"],
        "久未跟进": ["stale"],
        "刚跟进": [],
        "签约久": ["signed_not_registered", "followup_overdue"],
        "退出": [],
    }

    session.add(Setting(key="lead_stale_days", value="30"))
    session.flush()
    assert leads.lead_flags(stale, TODAY, leads.pipeline_rules(session)) == []


def test_list_filters_sorts_and_pages(session, people):
    zs1, zs2 = people["zs1"], people["zs2"]
    b = f.building(session, "XG01")
    f.lead(
        session,
        zs1,
        "甲公司",
        stage="visit",
        expected_annual_tax=Decimal("5000000"),
        industry_group="金融服务",
        next_followup_on=date(2026, 11, 10),
        target_buildings=[b],
        hq_type="regional",
    )
    f.lead(
        session,
        zs1,
        "乙公司",
        stage="lead",
        expected_annual_tax=Decimal("9000000"),
        source="网络",
        next_followup_on=date(2026, 11, 20),
    )
    f.lead(session, zs2, "丙公司", stage="lost", expected_annual_tax=Decimal("1000000"))
    rules = leads.pipeline_rules(session)

    def names(sort="company", descending=False, **kw):
        return [
            lead.company_name
            for lead in leads.search_leads(session, leads.LeadFilters(**kw), TODAY, rules, sort, descending).leads
        ]

    assert sorted(names()) == sorted(["甲公司", "乙公司", "丙公司"])  # merged leads only are hidden
    assert names("tax", True) == ["乙公司", "甲公司", "丙公司"]
    assert names(stage="active") == sorted(["甲公司", "乙公司"])
    assert names(owner_id=zs2.id) == ["丙公司"]
    assert names(source="网络") == ["乙公司"]
    assert names(industry_group="金融服务") == ["甲公司"]
    assert names(hq_type="any") == ["甲公司"]
    assert names(building_id=b.id) == ["甲公司"]
    assert names(overdue="followup") == ["甲公司"]
    assert names(q="乙") == ["乙公司"]
    page = leads.search_leads(session, leads.LeadFilters(), TODAY, rules, per_page=2, page=2)
    assert page.total == 3 and page.pages == 2 and len(page.leads) == 1
