"""The leads import kind: the lead form's rules, the duplicate guard, owners, and the round trip."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crm.io import imports as workflow
from crm.io.exports import export
from crm.permissions import EVERYWHERE
from crm.io.kinds import get_kind
from crm.models import Lead, LeadStageChange, User
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
    rows = [["项目编号", "企业名称", "来源", "负责人账号"], [None, "我的新项目", "上门", None],
            [theirs.id, "别人的项目", "上门", None], [None, "替别人建", "上门", "zs2"]]
    plan, _ = workflow.import_now(session, promoter, "leads", "项目.xlsx", xlsx(rows), TODAY)
    assert [str(e)[:5] for e in plan.errors] == ["第 3 行", "第 4 行"]
    assert "负责人是 zs2" in str(plan.errors[0]) and "只能导入自己负责的项目" in str(plan.errors[1])


def test_round_trip_export_then_import_is_unchanged(session, district):
    owner = f.user(session, "zs9", "promoter")
    f.lead(session, owner, "往返项目有限公司", stage="visit", intended_area=Decimal("321.50"),
           expected_annual_tax=Decimal("1234567.00"), target_buildings=[district["a"]], next_followup_on=date(2026, 11, 20))
    session.commit()
    kind = get_kind("leads")
    items = kind.export_items(session, EVERYWHERE, {}, TODAY)
    plan, _ = workflow.import_now(session, district["admin"], "leads", "export.xlsx", export(kind, items, "xlsx"), TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["unchanged"] == 1 and plan.warnings == []
