"""Importing good files: counts in the preview, what confirm writes, the import record, the
all-or-nothing confirm, and the round trip export → import."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.io import imports as workflow
from crm.io.exports import export
from crm.permissions import EVERYWHERE
from crm.io.kinds import get_kind
from crm.models import BuildingTaxMonth, Company, ImportBatch, ImportChange, Lease, TaxRecord, Unit
from crm.services.errors import DomainError
from tests import factories as f
from tests.io.conftest import TODAY
from tests.io.helpers import csv_bytes, db_state, xlsx

REG, OTHER, NEW1, NEW2 = (f.make_uscc(n) for n in (101, 102, 103, 104))


def test_company_preview_counts_then_confirm_writes_and_records(session, district):
    data = xlsx(
        [
            [
                "企业名称",
                "统一社会信用代码",
                "属地注册",
                "注册资本（万元）",
                "产业类别",
                "备注",
            ],  # any order, an extra column
            ["注册甲有限公司", REG, "是", 500, None, "改注册资本"],
            ["外地乙有限公司", OTHER, "否", None, None, None],
            ["新丙科技有限公司", NEW1.lower(), "是", 1200.5, "数字技术服务", None],
        ]
    )
    before = db_state()
    batch = workflow.preview(session, district["admin"], "companies", "企业.xlsx", data, TODAY)
    session.commit()
    assert db_state() == before  # a preview writes nothing but its own record
    assert (batch.status, batch.created_count, batch.updated_count, batch.unchanged_count, batch.error_count) == (
        "previewed",
        1,
        1,
        1,
        0,
    )
    assert batch.report["warnings"] == [[1, "备注", "F", "无法识别的列，已忽略（可识别的列见模板的“说明”页）"]]

    changes = workflow.confirm(session, district["admin"], batch, TODAY)
    session.commit()
    new = session.scalar(select(Company).where(Company.uscc == NEW1))
    assert (new.name, new.registered_in_district, new.registered_capital, new.industry_group) == (
        "新丙科技有限公司",
        True,
        Decimal("12005000.00"),
        "数字技术服务",
    )
    assert district["reg"].registered_capital == Decimal("5000000.00")
    assert batch.status == "applied" and batch.decided_at is not None
    recorded = session.scalars(
        select(ImportChange).where(ImportChange.batch_id == batch.id).order_by(ImportChange.row_number)
    ).all()
    assert [(c.row_number, c.action, c.record_key) for c in recorded] == [(2, "update", REG), (4, "create", NEW1)]
    assert recorded[0].changes == {"注册资本": ["", "5000000.00"]}
    assert recorded[1].record_id == new.id
    assert len(changes) == 2
    stored = session.get(ImportBatch, batch.id)
    assert stored.content == data and len(stored.sha256) == 64 and stored.user_id == district["admin"].id


def test_confirm_refuses_when_the_data_changed_after_the_preview(session, district):
    data = csv_bytes([["统一社会信用代码", "企业名称", "从业人数"], [REG, "注册甲有限公司", 80]])
    batch = workflow.preview(session, district["admin"], "companies", "c.csv", data, TODAY)
    session.commit()
    district["reg"].employees = 80  # someone else makes the same edit in between
    session.commit()
    before = db_state()
    with pytest.raises(workflow.StalePreview):
        workflow.confirm(session, district["admin"], batch, TODAY)
    session.rollback()
    assert db_state() == before
    assert session.get(ImportBatch, batch.id).status == "previewed"
    workflow.refresh(session, district["admin"], session.get(ImportBatch, batch.id), TODAY)
    assert (batch.updated_count, batch.unchanged_count) == (0, 1)


def test_a_batch_cannot_be_confirmed_twice_or_after_rejection(session, district):
    data = csv_bytes([["统一社会信用代码", "企业名称"], [NEW1, "新企业"]])
    batch = workflow.preview(session, district["admin"], "companies", "c.csv", data, TODAY)
    workflow.confirm(session, district["admin"], batch, TODAY)
    with pytest.raises(DomainError, match="已导入"):
        workflow.confirm(session, district["admin"], batch, TODAY)
    other = workflow.preview(session, district["admin"], "companies", "c.csv", data, TODAY)
    workflow.reject(session, other)
    with pytest.raises(DomainError, match="已拒绝"):
        workflow.confirm(session, district["admin"], other, TODAY)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_encodings_are_detected(session, district, encoding):
    data = csv_bytes([["统一社会信用代码", "企业名称"], [NEW1, "大连西岗区某某贸易有限公司"]], encoding)
    plan, batch = workflow.import_now(session, district["admin"], "companies", "c.csv", data, TODAY)
    assert plan.ok and batch is not None
    assert session.scalar(select(Company.name).where(Company.uscc == NEW1)) == "大连西岗区某某贸易有限公司"


def test_english_headers_and_dates_in_every_accepted_form(session, district):
    data = xlsx(
        [
            ["building_code", "units", "uscc", "start_date", "end_date"],
            ["A01", "3F-01", REG, datetime(2026, 1, 5), date(2026, 1, 31)],  # Excel dates
            ["A01", "02", REG, "2026-02-01", "2026-02-28"],  # a number unique in the building
            ["A01", "3f-01", REG, "2026/03/01", "2026年3月31日"],
            ["A01", "3F-01", REG, "2026年4月1日", None],
        ]
    )
    plan, batch = workflow.import_now(session, district["admin"], "leases", "l.xlsx", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    leases = session.scalars(
        select(Lease).where(Lease.company_id == district["reg"].id).order_by(Lease.start_date)
    ).all()
    assert [(lease.start_date, lease.end_date, [u.label for u in lease.units]) for lease in leases] == [
        (date(2026, 1, 5), date(2026, 1, 31), ["3F-01"]),
        (date(2026, 2, 1), date(2026, 2, 28), ["3F-02"]),
        (date(2026, 3, 1), date(2026, 3, 31), ["3F-01"]),
        (date(2026, 4, 1), None, ["3F-01"]),
    ]


def test_units_created_and_updated_with_leasable_area_respected(session, district):
    data = csv_bytes(
        [
            ["楼宇编码", "楼层", "单元号", "面积（m²）", "自用"],
            ["A01", 3, "02", "350", "否"],  # 300 → 350
            ["A01", "5F", "01", "1,000.00", "是"],  # self-use: not counted against the declared 1,000
            ["A01", 5, "02", "550", ""],  # 100 + 350 + 550 = 1,000: exactly the declared area
        ]
    )
    plan, batch = workflow.import_now(session, district["admin"], "units", "u.csv", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["create"] == 2 and plan.counts()["update"] == 1
    assert district["a2"].area == Decimal("350.00") and district["a2"].version == 2
    units = session.scalars(
        select(Unit).where(Unit.building_id == district["a"].id, Unit.floor == 5).order_by(Unit.number)
    ).all()
    assert [(u.number, u.area) for u in units] == [("01", Decimal("1000.00")), ("02", Decimal("550.00"))]
    # A new unit marked self-use without dates is self-use since it exists.
    assert [(p.start_date, p.end_date) for p in units[0].self_use_periods] == [(None, None)]
    assert units[1].self_use_periods == []


def test_a_manager_imports_units_of_their_own_building_but_not_tax(session, district):
    data = csv_bytes([["楼宇编码", "楼层", "单元号", "面积（m²）"], ["B01", 7, "01", 40]])
    plan, batch = workflow.import_now(session, district["manager"], "units", "u.csv", data, TODAY)
    assert plan.ok and batch.user_id == district["manager"].id
    with pytest.raises(DomainError, match="没有导入“税收”的权限"):
        workflow.import_now(session, district["manager"], "tax", "t.csv", b"x", TODAY)
    assert [k.name for k in workflow.kinds_for(district["manager"])] == ["units", "companies", "leases"]


def test_a_manager_imports_only_companies_of_their_buildings(session, district):
    data = csv_bytes(
        [
            ["统一社会信用代码", "企业名称", "注册楼宇编码"],
            [OTHER, "外地乙有限公司（更名）", ""],  # a tenant of B01: allowed
            [NEW1, "新企业甲", "B01"],  # registered in B01: allowed
            [REG, "注册甲有限公司", "A01"],  # A01 is not theirs
        ]
    )
    plan, _ = workflow.import_now(session, district["manager"], "companies", "c.csv", data, TODAY)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "注册楼宇编码")]


def test_tax_replaces_existing_attributes_buildings_and_refreshes_the_rollup(session, district):
    data = csv_bytes(
        [
            ["统一社会信用代码", "所属期", "全口径税收（万元）", "区级税收（万元）"],
            [OTHER, "2026-09", "0.2", "0.05"],  # replaces 1,000.00 / 300.00 → update
            [OTHER, "2026年10月", "1.5", ""],  # lease in B01 at 2026-10-31 → B01
            [REG, "2026/10", "12,345.6789", "1"],  # registered in A01 → A01
        ]
    )
    plan, batch = workflow.import_now(session, district["admin"], "tax", "tax.csv", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts() == {"create": 2, "update": 1, "unchanged": 0, "unmatched": 0, "errors": 0}
    records = {
        (r.company_id, r.period): (r.total_tax, r.district_tax, r.building_id)
        for r in session.scalars(select(TaxRecord))
    }
    b, a = district["b"].id, district["a"].id
    assert records == {
        (district["other"].id, "2026-09"): (Decimal("2000.00"), Decimal("500.00"), b),
        (district["other"].id, "2026-10"): (Decimal("15000.00"), None, b),
        (district["reg"].id, "2026-10"): (Decimal("123456789.00"), Decimal("10000.00"), a),
    }
    rollup = {(m.building_id, m.period): m.total_tax for m in session.scalars(select(BuildingTaxMonth))}
    assert rollup == {
        (b, "2026-09"): Decimal("2000.00"),
        (b, "2026-10"): Decimal("15000.00"),
        (a, "2026-10"): Decimal("123456789.00"),
    }


def test_tax_unmatched_usccs_are_listed_and_created_only_when_chosen(session, district):
    data = csv_bytes(
        [
            ["统一社会信用代码", "企业名称", "所属期", "全口径税收（元）"],
            [NEW1, "新来的甲公司", "2026-10", 100],
            [NEW1, "新来的甲公司", "2026-09", 90],
            [NEW2, "", "2026-10", 50],
        ]
    )
    before = db_state()
    batch = workflow.preview(session, district["admin"], "tax", "t.csv", data, TODAY)
    session.commit()
    assert batch.status == "previewed" and batch.unmatched_count == 3
    assert batch.report["unmatched"][0] == [2, f"{NEW1} 2026-10", "新来的甲公司"]
    with pytest.raises(DomainError, match="3 行的统一社会信用代码在系统中没有对应企业"):
        workflow.confirm(session, district["admin"], batch, TODAY)
    session.rollback()
    assert db_state() == before
    batch = session.get(ImportBatch, batch.id)
    workflow.confirm(session, district["admin"], batch, TODAY, create_unmatched=True)
    names = dict(session.execute(select(Company.uscc, Company.name).where(Company.uscc.in_([NEW1, NEW2]))).all())
    assert names == {NEW1: "新来的甲公司", NEW2: f"未登记企业（{NEW2}）"}
    assert session.scalar(select(func.count()).select_from(TaxRecord).where(TaxRecord.building_id.is_(None))) == 3
    assert batch.report["companies_created"] == 2


def test_lease_import_uses_the_lease_rules_and_updates_existing(session, district):
    data = csv_bytes(
        [
            ["统一社会信用代码", "楼宇编码", "单元", "开始日期", "结束日期", "退租日期", "退租原因"],
            [
                OTHER,
                "B01",
                "2F-01",
                "2025-01-01",
                "2027-12-31",
                "2026-10-31",
                "提前退租",
            ],  # the existing lease moves out
            [REG, "B01", "2F-01", "2026-10-31", "2029-10-30", "", ""],  # the unit is free from 10-31
        ]
    )
    plan, batch = workflow.import_now(session, district["admin"], "leases", "l.csv", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["update"] == 1 and plan.counts()["create"] == 1
    assert (district["lease"].moved_out_on, district["lease"].move_out_reason) == (date(2026, 10, 31), "提前退租")
    new = session.scalar(select(Lease).where(Lease.company_id == district["reg"].id))
    assert [u.label for u in new.units] == ["2F-01"] and new.building_id == district["b"].id


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind_name", ["buildings", "units", "companies", "leases", "tax"])
def test_round_trip_export_then_import_is_unchanged_for_every_row(session, district, kind_name, fmt):
    district["reg"].name = '=HYPERLINK("http://x")公司'  # a formula-like name must survive the escape
    district["reg"].contact_phone = "+86 411 1234"
    session.commit()
    kind = get_kind(kind_name)
    items = kind.export_items(session, EVERYWHERE, {"first": "2026-01", "last": "2026-10"}, TODAY)
    data = export(kind, items, fmt)
    before = db_state()
    plan, batch = workflow.import_now(session, district["admin"], kind_name, f"export.{fmt}", data, TODAY)
    assert plan.ok, [str(e) for e in plan.errors]
    counts = plan.counts()
    assert counts["unchanged"] == len(items) > 0
    assert counts["create"] == counts["update"] == counts["unmatched"] == 0
    assert plan.warnings == []  # the export's figure columns are known, not "unrecognised"
    assert db_state() == before
