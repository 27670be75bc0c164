"""The leads import kind: the lead form's rules, the duplicate guard, owners, and the round trip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.io import imports as workflow
from crm.io.exports import export
from crm.permissions import EVERYWHERE
from crm.io.kinds import get_kind
from crm.models import Lead, LeadStageChange, User
from crm.services.periods import BUSINESS_TZ
from tests import factories as f
from tests.io.conftest import TODAY
from tests.io.helpers import xlsx

HEADER = ["企业名称", "来源", "产业类别", "意向面积（m²）", "预计年税收（万元）", "目标楼宇", "负责人账号", "确认重复"]


def test_admin_import_creates_leads_with_owner_targets_and_history(session, district):
    data = xlsx([HEADER, ["大连新港数据科技有限公司", "展会", "数字技术服务", 600, 250, "A01、B01", "zs", None]])
    plan, _ = workflow.import_now(session, district["admin"], "leads", "项目.xlsx", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    lead = session.scalar(select(Lead))
    assert (lead.company_name, lead.owner.username, lead.stage) == ("大连新港数据科技有限公司", "zs", "lead")
    assert lead.expected_annual_tax == Decimal("2500000.00") and lead.intended_area == Decimal("600.00")
    assert [b.code for b in lead.target_buildings] == ["A01", "B01"]
    assert lead.next_followup_on == date(2026, 11, 18)
    assert session.scalar(select(LeadStageChange.note).where(LeadStageChange.lead_id == lead.id)) == "导入新建"


def test_new_leads_written_in_bulk_make_the_pipeline_figures_stale(session, district):
    from crm.cache.versions import PIPELINE, tokens

    before = tokens(session).get(PIPELINE)
    data = xlsx([HEADER, ["大连新港数据科技有限公司", "展会", "数字技术服务", 600, 250, "A01", "zs", None]])
    plan, _ = workflow.import_now(session, district["admin"], "leads", "项目.xlsx", data, TODAY)
    assert plan.ok and session.scalar(select(func.count()).select_from(Lead)) == 1
    # The dashboard's funnel for this month is cached under the token: it must change.
    assert tokens(session).get(PIPELINE) != before


def test_duplicates_are_errors_unless_confirmed_and_nothing_is_written(session, district):
    rows = [
        HEADER,
        ["外地乙股份有限公司", "网络", None, None, None, None, "zs", None],  # a current tenant in another form
        ["大连甲乙科技有限公司", "网络", None, None, None, None, "zs", None],
        ["大连甲乙科技有限责任公司", "网络", None, None, None, None, "zs", None],  # the row above again
    ]
    plan, _ = workflow.import_now(session, district["admin"], "leads", "项目.xlsx", xlsx(rows), TODAY)
    messages = [str(e) for e in plan.errors]
    assert len(messages) == 2
    assert messages[0].startswith("第 2 行") and "在驻企业「外地乙有限公司」（乙大厦）" in messages[0]
    assert messages[1].startswith("第 4 行") and "本文件第 3 行" in messages[1]
    assert session.scalar(select(func.count()).select_from(Lead)) == 0

    rows[1][-1] = rows[3][-1] = "是"
    plan, _ = workflow.import_now(session, district["admin"], "leads", "项目.xlsx", xlsx(rows), TODAY)
    assert plan.ok and len(plan.warnings) == 2 and "已确认仍要导入" in str(plan.warnings[0])
    assert session.scalar(select(func.count()).select_from(Lead)) == 3


def test_a_promoter_imports_only_their_own_leads(session, district):
    promoter = session.scalar(select(User).where(User.username == "zs"))
    other = f.user(session, "zs2", "promoter")
    theirs = f.lead(session, other, "别人的项目")
    session.commit()
    rows = [
        ["项目编号", "企业名称", "来源", "负责人账号"],
        [None, "我的新项目", "上门", None],
        [theirs.id, "别人的项目", "上门", None],
        [None, "替别人建", "上门", "zs2"],
    ]
    plan, _ = workflow.import_now(session, promoter, "leads", "项目.xlsx", xlsx(rows), TODAY)
    assert [str(e)[:5] for e in plan.errors] == ["第 3 行", "第 4 行"]
    assert "负责人是 zs2" in str(plan.errors[0]) and "只能导入自己负责的项目" in str(plan.errors[1])


def test_round_trip_export_then_import_is_unchanged(session, district):
    owner = f.user(session, "zs9", "promoter")
    f.lead(
        session,
        owner,
        "往返项目有限公司",
        stage="visit",
        intended_area=Decimal("321.50"),
        expected_annual_tax=Decimal("1234567.00"),
        target_buildings=[district["a"]],
        next_followup_on=date(2026, 11, 20),
    )
    session.commit()
    kind = get_kind("leads")
    items = kind.export_items(session, EVERYWHERE, {}, TODAY)
    plan, _ = workflow.import_now(
        session, district["admin"], "leads", "export.xlsx", export(kind, items, "xlsx"), TODAY
    )
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["unchanged"] == 1 and plan.warnings == []


HISTORY = ["企业名称", "来源", "负责人账号", "阶段", "阶段日期", "立项日期", "下次跟进日期", "退出原因"]


def stage_history(session, lead) -> list[tuple]:
    rows = session.execute(
        select(LeadStageChange.from_stage, LeadStageChange.to_stage, LeadStageChange.changed_at)
        .where(LeadStageChange.lead_id == lead.id)
        .order_by(LeadStageChange.id)
    ).all()
    return [(a, b, at.astimezone(BUSINESS_TZ).date() if at.tzinfo else at.date()) for a, b, at in rows]


def test_a_bureau_brings_its_history_in_at_the_stage_and_dates_given(session, district):
    rows = [
        HISTORY,
        ["历史洽谈企业", "展会", "zs", "洽谈", "2026-09-15", "2026-03-02", None, None],
        ["历史签约企业", "展会", "zs", "签约", "2026-10-08", None, None, None],
        ["历史退出企业", "展会", "zs", "退出", "2026-08-01", "2026-05-01", None, "企业选择落户外区"],
        ["历史搁置企业", "展会", "zs", "搁置", "2026-10-20", "2026-07-01", "2027-01-10", None],
        ["今天的新线索", "网络", "zs", None, None, None, None, None],
    ]
    plan, _ = workflow.import_now(session, district["admin"], "leads", "历史.xlsx", xlsx(rows), TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    leads = {lead.company_name: lead for lead in session.scalars(select(Lead))}
    talk = leads["历史洽谈企业"]
    assert (talk.stage, talk.created_on, talk.next_followup_on) == ("negotiation", date(2026, 3, 2), date(2026, 11, 18))
    assert stage_history(session, talk) == [
        (None, "lead", date(2026, 3, 2)),
        ("lead", "negotiation", date(2026, 9, 15)),
    ]
    signed = leads["历史签约企业"]
    assert (signed.stage, signed.signed_on, signed.created_on) == ("signed", date(2026, 10, 8), date(2026, 10, 8))
    lost = leads["历史退出企业"]
    assert (lost.stage, lost.lost_reason, lost.next_followup_on) == ("lost", "企业选择落户外区", None)
    assert stage_history(session, lost)[-1] == ("lead", "lost", date(2026, 8, 1))
    paused = leads["历史搁置企业"]
    assert (paused.stage, paused.paused_until, paused.next_followup_on) == (
        "paused",
        date(2027, 1, 10),
        date(2027, 1, 10),
    )
    fresh = leads["今天的新线索"]
    assert (fresh.stage, fresh.created_on) == ("lead", TODAY)
    assert [(a, b) for a, b, _ in stage_history(session, fresh)] == [(None, "lead")]  # recorded now, as a form would


@pytest.mark.parametrize(
    "row, column, message",
    [
        (["入驻企业", "展会", "zs", "入驻", "2026-10-01", None, None, None], "阶段", "不能导入"),
        (["未来企业", "展会", "zs", "洽谈", "2026-11-16", None, None, None], "阶段日期", "晚于今天（2026-11-15）"),
        (
            ["倒序企业", "展会", "zs", "考察", "2026-03-01", "2026-04-01", None, None],
            "阶段日期",
            "早于立项日期 2026-04-01",
        ),
        (["未来立项", "展会", "zs", None, None, "2026-12-01", None, None], "立项日期", "晚于今天"),
        (["无因退出", "展会", "zs", "退出", "2026-10-01", None, None, None], "退出原因", "须填写退出原因"),
        (["错配原因", "展会", "zs", "洽谈", "2026-10-01", None, None, "不想做了"], "退出原因", "只有阶段为退出"),
        (["搁置无期", "展会", "zs", "搁置", "2026-10-01", None, None, None], "下次跟进日期", "恢复跟进日期"),
        (["未知阶段", "展会", "zs", "谈判中", None, None, None, None], "阶段", "不在可选范围内"),
    ],
)
def test_a_stage_that_cannot_be_true_is_refused_with_row_and_column_and_nothing_is_written(
    session, district, row, column, message
):
    plan, _ = workflow.import_now(session, district["admin"], "leads", "历史.xlsx", xlsx([HISTORY, row]), TODAY)
    [error] = plan.errors
    assert (error.row, error.column) == (2, column) and message in error.message, str(error)
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_an_existing_leads_stage_is_not_moved_by_an_import(session, district):
    owner = session.scalar(select(User).where(User.username == "zs"))
    lead = f.lead(session, owner, "在跟企业", stage="visit")
    session.commit()
    rows = [["项目编号", *HISTORY], [lead.id, "在跟企业", "上门", "zs", "签约", None, None, None, None]]
    plan, _ = workflow.import_now(session, district["admin"], "leads", "项目.xlsx", xlsx(rows), TODAY)
    assert [e.column for e in plan.errors] == ["阶段"] and "看板" in plan.errors[0].message
    session.refresh(lead)
    assert lead.stage == "visit"
