"""The rows a preview read, kept with the batch: the confirm writes exactly what the preview
showed from them, refuses a change made in between, and reads the file again when the kept rows
do not belong to it (another file, another day)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.io import imports as workflow
from crm.io import parsed
from crm.io.columns import ParsedRow
from crm.io.kinds import get_kind
from crm.models import ImportBatch, Lead
from tests.io.conftest import TODAY
from tests.io.helpers import csv_bytes, xlsx

HEADER = [
    "企业名称",
    "来源",
    "意向面积（m²）",
    "预计年税收（万元）",
    "目标楼宇",
    "负责人账号",
    "下次跟进日期",
    "确认重复",
]


def lead_file(*names: str) -> bytes:
    return xlsx([HEADER] + [[name, "展会", 600, 250, "A01、B01", "zs", "2026-12-01", None] for name in names])


def test_the_confirm_writes_the_leads_from_the_rows_kept_with_the_preview(session, district):
    data = lead_file("大连新港数据科技有限公司", "大连旅顺智能制造有限公司")
    batch = workflow.preview(session, district["admin"], "leads", "项目.xlsx", data, TODAY)
    session.commit()
    assert batch.status == "previewed" and batch.parsed_rows
    workflow.confirm(session, district["admin"], batch, TODAY)
    session.commit()
    leads = session.scalars(select(Lead).order_by(Lead.id)).all()
    assert [(lead.company_name, lead.intended_area, lead.expected_annual_tax) for lead in leads] == [
        ("大连新港数据科技有限公司", Decimal("600.00"), Decimal("2500000.00")),
        ("大连旅顺智能制造有限公司", Decimal("600.00"), Decimal("2500000.00")),
    ]
    assert [[b.code for b in lead.target_buildings] for lead in leads] == [["A01", "B01"], ["A01", "B01"]]
    assert leads[0].next_followup_on == date(2026, 12, 1)


def test_a_lead_saved_after_the_preview_makes_the_kept_rows_a_duplicate_and_nothing_is_written(session, district):
    data = lead_file("大连新港数据科技有限公司")
    batch = workflow.preview(session, district["admin"], "leads", "项目.xlsx", data, TODAY)
    session.commit()
    first, _ = workflow.import_now(session, district["admin"], "leads", "另一份.xlsx", data, TODAY)
    session.commit()
    assert first.ok
    with pytest.raises(workflow.StalePreview):
        workflow.confirm(session, district["admin"], batch, TODAY)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Lead)) == 1
    assert session.get(ImportBatch, batch.id).status == "previewed"


def test_a_confirm_on_another_day_reads_the_file_again(session, district):
    data = lead_file("大连新港数据科技有限公司")
    batch = workflow.preview(session, district["admin"], "leads", "项目.xlsx", data, TODAY)
    session.commit()
    kind = get_kind("leads")
    assert parsed.unpack(batch.parsed_rows, kind, TODAY, batch.sha256) is not None
    assert parsed.unpack(batch.parsed_rows, kind, TODAY + timedelta(days=1), batch.sha256) is None
    assert parsed.unpack(batch.parsed_rows, kind, TODAY, "0" * 64) is None
    workflow.confirm(session, district["admin"], batch, TODAY + timedelta(days=1))
    session.commit()
    assert session.scalar(select(Lead.company_name)) == "大连新港数据科技有限公司"


def test_kept_rows_read_back_as_they_were_read_from_the_file():
    kind = get_kind("leads")
    located = {}
    rows = [
        ParsedRow(
            2,
            {
                "company_name": "甲",
                "intended_area": Decimal("600.50"),
                "next_followup_on": date(2026, 12, 1),
                "buildings": ["A01", "B01"],
                "confirm_duplicate": True,
                "owner": None,
            },
        ),
        ParsedRow(
            5,
            {
                "company_name": "乙",
                "intended_area": None,
                "next_followup_on": None,
                "buildings": [],
                "confirm_duplicate": False,
                "owner": "zs",
            },
        ),
    ]
    blob = parsed.pack(located, rows, TODAY, "f" * 64)
    _, back = parsed.unpack(blob, kind, TODAY, "f" * 64)
    assert back == rows
    # A value of a type the kept rows cannot hold faithfully: nothing is kept, the file is read.
    odd = [
        ParsedRow(2, {"company_name": "甲", "intended_area": 1.5}),
        ParsedRow(3, {"company_name": "乙", "intended_area": Decimal(1)}),
    ]
    assert parsed.pack(located, odd, TODAY, "f" * 64) is None


def test_a_cell_read_once_for_many_rows_still_names_each_row(session, district):
    rows = [["企业名称", "来源", "负责人账号"]] + [[f"大连第{n}科技有限公司", "路边", "zs"] for n in range(3)]
    plan, batch = workflow.import_now(session, district["admin"], "leads", "项目.csv", csv_bytes(rows), TODAY)
    assert batch is None
    assert [str(e).split("：")[0] for e in plan.errors] == [
        "第 2 行，B 列「来源」",
        "第 3 行，B 列「来源」",
        "第 4 行，B 列「来源」",
    ]
