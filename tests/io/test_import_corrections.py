"""Imports that reach a confirmed month: refused with the rows named, or — with a reason — applied
as exactly one correction per building-month, listing exactly the rows that reached it."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from crm.permissions import EVERYWHERE
from crm.io import imports as workflow
from crm.models import Correction, ImportBatch, Lease, OccupancySnapshot, Unit, UnitSelfUse
from crm.services.confirmation import confirm_month
from tests import factories as f
from tests.io.conftest import TODAY
from tests.io.helpers import csv_bytes, db_state

REG = f.make_uscc(101)
LEASES = [
    ["统一社会信用代码", "楼宇编码", "单元", "开始日期", "结束日期"],
    [REG, "A01", "3F-01", "2026-10-16", ""],  # inside October, which A01 confirmed
    [REG, "A01", "3F-02", "2026-11-01", ""],
]  # after it: no correction
REASON = "10 月 16 日新签租约漏登记"


@pytest.fixture()
def confirmed(session, district):
    """October confirmed for both buildings (A01: nothing let; B01: 400 m² let)."""
    for building in (district["a"], district["b"]):
        confirm_month(session, district["admin"], building, "2026-10", TODAY)
    session.commit()
    return district


def snapshot(session, building) -> OccupancySnapshot:
    return session.scalar(
        select(OccupancySnapshot).where(
            OccupancySnapshot.building_id == building.id, OccupancySnapshot.period == "2026-10"
        )
    )


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_cli_refuses_rows_in_a_confirmed_month_without_a_reason(app, session, confirmed, tmp_path):
    path = tmp_path / "租约.csv"
    path.write_bytes(csv_bytes(LEASES))
    before = db_state()
    result = run(app, "import", "leases", str(path))
    assert result.exit_code == 1
    assert (
        "错误：第 2 行，D 列「开始日期」：A01 2026年10月的入驻数据已确认，此行会改动已确认的月份，只能作为更正提交"
        in result.output
    )
    assert "第 3 行" not in result.output and "没有写入任何数据" in result.output
    session.rollback()
    assert db_state() == before and session.scalar(select(Correction.id)) is None


def test_cli_with_a_reason_records_exactly_one_correction_of_the_rows(app, session, confirmed, tmp_path):
    path = tmp_path / "租约.csv"
    path.write_bytes(csv_bytes(LEASES))
    result = run(app, "import", "leases", str(path), "--correction", REASON)
    assert result.exit_code == 0, result.output
    assert "更正：第 2 行，A01 2026年10月" in result.output and "其中 1 行作为更正" in result.output
    session.rollback()
    a = confirmed["a"]
    [correction] = session.scalars(select(Correction)).all()
    batch = session.scalar(select(ImportBatch))
    assert (correction.building_id, correction.period, correction.operation) == (a.id, "2026-10", "import")
    assert (correction.reason, correction.import_batch_id, batch.correction_reason) == (REASON, batch.id, REASON)
    assert (correction.version_before, correction.version_after) == (1, 2) == (1, snapshot(session, a).version)
    assert snapshot(session, a).occupied_area == 100
    lease = session.scalar(select(Lease).where(Lease.start_date == date(2026, 10, 16)))
    assert [(i.row_number, i.change.object_type, i.change.object_id, i.change.action) for i in correction.items] == [
        (2, "lease", lease.id, "create")
    ]


def test_self_use_and_area_rows_make_one_correction_per_building_month(session, confirmed):
    data = csv_bytes(
        [
            ["楼宇编码", "楼层", "单元号", "面积（m²）", "自用", "自用起始日期"],
            ["A01", 3, "02", 300, "是", "2026-10-20"],  # self-use from inside October
            ["A01", 3, "01", 100, "否", ""],  # unchanged
            ["B01", 2, "02", 60, "是", ""],  # a self-use unit resized: every month it existed
            ["A01", 4, "01", 80, "否", ""],  # a new unit with no start: it always existed
        ]
    )
    plan, batch = workflow.import_now(session, confirmed["admin"], "units", "u.csv", data, TODAY)
    assert batch is None
    assert [(i.row, i.column, i.message.split("的入驻数据")[0]) for i in plan.errors] == [
        (2, "自用起始日期", "A01 2026年10月"),
        (4, "面积（m²）", "B01 2026年10月"),
        (5, "启用日期", "A01 2026年10月"),
    ]
    session.rollback()

    plan, batch = workflow.import_now(session, confirmed["admin"], "units", "u.csv", data, TODAY, correction="复核房源")
    assert plan.ok, [str(e) for e in plan.errors]
    session.commit()
    found = {c.building_id: c for c in session.scalars(select(Correction))}
    a, b = confirmed["a"], confirmed["b"]
    assert set(found) == {a.id, b.id} and all(c.period == "2026-10" for c in found.values())
    assert sorted(i.row_number for i in found[a.id].items) == [2, 5]
    assert [i.row_number for i in found[b.id].items] == [4]
    assert found[a.id].figures["leasable_area"] == ["400", "180"]  # −300 self-use, +80 new
    assert found[b.id].figures["leasable_area"] == ["400", "400"]  # self-use area is not leasable
    a2 = session.scalar(select(Unit).where(Unit.building_id == a.id, Unit.number == "02"))
    assert [(p.start_date, p.end_date) for p in a2.self_use_periods] == [(date(2026, 10, 20), None)]


def test_the_export_of_units_imports_again_unchanged(session, confirmed):
    a2 = confirmed["a2"]
    session.add(UnitSelfUse(unit=a2, start_date=date(2026, 11, 5), end_date=date(2027, 3, 31)))
    session.commit()
    kind = workflow.get_kind("units")

    def cell(value):
        return (
            ""
            if value is None
            else {True: "是", False: "否"}.get(value, value)
            if isinstance(value, bool)
            else str(value)
        )

    rows = [[c.header for c in kind.columns]]
    for item in kind.export_items(session, EVERYWHERE, {}, TODAY):
        values = kind.export_values(item)
        rows.append([cell(values.get(c.key)) for c in kind.columns])
    plan, _ = workflow.import_now(session, confirmed["admin"], "units", "u.csv", csv_bytes(rows), TODAY, dry_run=True)
    assert plan.ok, [str(e) for e in plan.errors]
    assert plan.counts()["update"] == plan.counts()["create"] == 0


# ------------------------------------------------------------------------------------------ web


@pytest.fixture()
def admin(app, confirmed):
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": f.PASSWORD}).status_code == 302
    return client


def upload(client, data, reason=""):
    return client.post(
        "/imports",
        data={"kind": "leases", "file": (io.BytesIO(data), "租约.csv"), "correction_reason": reason},
        content_type="multipart/form-data",
    )


def test_web_upload_names_the_rows_and_applies_them_as_a_correction_with_a_reason(admin, session, confirmed):
    response = upload(admin, csv_bytes(LEASES))
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "有错误，未导入" in page and "A01 2026年10月的入驻数据已确认，此行会改动已确认的月份" in page
    assert session.scalar(select(Correction.id)) is None

    response = upload(admin, csv_bytes(LEASES), REASON)
    location = response.headers["Location"]
    page = admin.get(location).get_data(as_text=True)
    assert "确认导入" in page and "更正已确认的月份（1 行）" in page and REASON in page
    assert re.search(r'<td class="text-end">2</td><td>新增 <span class="badge text-bg-warning">更正</span>', page)
    done = admin.post(f"{location}/confirm", follow_redirects=True).get_data(as_text=True)
    assert "导入完成" in done and "甲大厦 2026年10月" in done and "第 1 版 → 第 2 版" in done
    [correction] = session.scalars(select(Correction)).all()
    assert [i.row_number for i in correction.items] == [2]

    history = admin.get("/buildings/A01/history?type=correction").get_data(as_text=True)
    assert REASON in history and "第 2 行：新建 租约" in history and "导入记录 #" in history
    status = admin.get("/confirmations/status").get_data(as_text=True)
    assert 'href="/buildings/A01/history?type=correction&amp;month=2026-10">更1</a>' in status


def test_a_later_form_correction_does_not_carry_the_import(admin, session, confirmed):
    admin.post(f"{upload(admin, csv_bytes(LEASES), REASON).headers['Location']}/confirm")
    reply = admin.post(
        "/buildings/A01/move-in",
        data={
            "company": "外地乙有限公司",
            "units": [str(confirmed["a2"].id)],
            "start_date": "2026-10-25",
            "end_date": "2026-10-31",
            "correction_reason": "表单更正",
        },
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]
    imported, form = session.scalars(select(Correction).order_by(Correction.id)).all()
    assert (imported.reason, form.reason) == (REASON, "表单更正")
    assert (form.version_before, form.version_after) == (2, 3)
    # The form's correction moves the month by its own 300 m² and lists its own lease only.
    assert form.figures["occupied_area"] == ["100", "400"] and imported.figures["occupied_area"] == ["0", "100"]
    lease = session.scalar(select(Lease).where(Lease.start_date == date(2026, 10, 25)))
    assert [(i.change.object_type, i.change.object_id, i.row_number) for i in form.items] == [("lease", lease.id, None)]


def test_a_self_use_period_may_not_meet_a_lease(session, confirmed):
    data = csv_bytes(
        [
            ["楼宇编码", "楼层", "单元号", "面积（m²）", "自用", "自用起始日期", "自用截止日期"],
            ["B01", 2, "01", 400, "是", "2027-06-01", ""],  # let until 2027-12-31
            ["B01", 2, "02", 50, "否", "", "2026-12-31"],
        ]
    )  # self-use ends: leasable again
    plan, batch = workflow.import_now(session, confirmed["admin"], "units", "u.csv", data, TODAY)
    assert [(i.row, i.message) for i in plan.errors] == [
        (2, "该单元在自用期内有租约（外地乙有限公司，2025-01-01 起），不能设为自用")
    ]
    good = csv_bytes(
        [
            ["楼宇编码", "楼层", "单元号", "面积（m²）", "自用", "自用起始日期", "自用截止日期"],
            ["B01", 2, "01", 400, "是", "2028-01-01", ""],
            ["B01", 2, "02", 50, "否", "", "2026-12-31"],
        ]
    )
    plan, batch = workflow.import_now(session, confirmed["admin"], "units", "u.csv", good, TODAY)
    assert plan.ok and not plan.corrections, [str(e) for e in plan.errors]
    periods = {(p.unit_id, p.start_date, p.end_date) for p in session.scalars(select(UnitSelfUse))}
    assert periods == {
        (confirmed["b1"].id, date(2028, 1, 1), None),
        (session.scalar(select(Unit.id).where(Unit.number == "02", Unit.floor == 2)), None, date(2026, 12, 31)),
    }
