"""Reading cells and files, writing exports and templates."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from crm.io import parsers as p
from crm.io.exports import escape_formula, export, write_csv, write_xlsx
from crm.permissions import EVERYWHERE
from crm.io.kinds import all_kinds, get_kind
from crm.io.readers import read_table
from crm.io.templates import template
from tests.io.conftest import TODAY
from tests.io.helpers import xlsx


@pytest.mark.parametrize(
    "raw, expected",
    [
        (datetime(2026, 10, 31, 0, 0), date(2026, 10, 31)),
        (date(2026, 10, 31), date(2026, 10, 31)),
        (46326.0, date(2026, 10, 31)),  # an Excel serial in a cell formatted as a number
        ("2026-10-31", date(2026, 10, 31)),
        ("2026/10/31", date(2026, 10, 31)),
        ("2026年10月31日", date(2026, 10, 31)),
        ("２０２６年１０月３１日", date(2026, 10, 31)),  # full-width digits from a Chinese IME
        ("20261031", date(2026, 10, 31)),
    ],
)
def test_dates(raw, expected):
    assert p.day(raw) == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("2026-02-30", "日期“2026-02-30”不存在"),
        ("31/10/2026", "请按 2026-11-28 的格式填写日期"),
        ("明天", "请按 2026-11-28 的格式填写日期"),
    ],
)
def test_bad_dates(raw, message):
    with pytest.raises(p.CellError, match=message):
        p.day(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-10", "2026-10"),
        ("2026/9", "2026-09"),
        ("2026年10月", "2026-10"),
        ("202611", "2026-11"),
        (date(2026, 10, 1), "2026-10"),
        (202610, "2026-10"),
    ],
)
def test_periods(raw, expected):
    assert p.period(raw, TODAY) == expected


@pytest.mark.parametrize(
    "raw, expected, scale",
    [
        ("1,234,567.891", Decimal("1234567.89"), 1),
        (1234.5, Decimal("1234.50"), 1),
        ("¥ 3,000 元", Decimal("3000.00"), 1),
        ("１２．５", Decimal("12.50"), 1),
        ("12.3456", Decimal("123456.00"), 10000),
        (0.1, Decimal("1000.00"), 10000),
    ],
)
def test_amounts_with_separators_and_wan(raw, expected, scale):
    assert p.positive_amount(raw, "金额", Decimal(scale)) == expected


def test_booleans_and_choices():
    assert [p.boolean(v) for v in ("是", "否", "Y", "no", True, 1.0)] == [True, False, True, False, True, True]
    with pytest.raises(p.CellError, match="应填“是”或“否”"):
        p.boolean("也许")
    assert p.choice("区域型总部", {"regional": "区域型总部"}, "总部类型") == "regional"


def test_text_undoes_the_export_formula_escape_only():
    assert p.text("'=1+1") == "=1+1" and p.text("'-5") == "-5" and p.text("O'Brien") == "O'Brien"
    assert p.text(101.0) == "101"


def test_rows_keep_their_spreadsheet_numbers_when_the_table_starts_lower():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "统一社会信用代码", "企业名称"
    sheet["C5"], sheet["D5"] = "91310110666007217U", "甲"
    out = io.BytesIO()
    workbook.save(out)
    table = read_table("c.xlsx", out.getvalue())
    assert table.header_row == 3 and table.header == ["统一社会信用代码", "企业名称"] and table.first_column == 2
    assert [(n, cells) for n, cells in table.rows] == [(4, ["", ""]), (5, ["91310110666007217U", "甲"])]


def test_money_header_in_an_unknown_unit_is_an_error(session):
    from crm.io.imports import build_plan

    data = xlsx([["统一社会信用代码", "所属期", "全口径税收（千元）"], ["91210200241281392F", "2026-10", 5]])
    plan, _ = build_plan(session, None, get_kind("tax"), "t.xlsx", data, TODAY)
    assert [(e.row, e.column, e.letter) for e in plan.errors] == [(1, "全口径税收（千元）", "C")]
    assert "无法识别的金额单位“千元”" in plan.errors[0].message


def test_exports_escape_cells_a_spreadsheet_would_run():
    assert [escape_formula(v) for v in ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b")] == [
        "'=cmd|' /C calc'!A0",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    data = write_xlsx(["名称", "金额"], [["=1+1", Decimal("-5.00")]], "测试")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -5  # numbers stay numbers
    text = write_csv(["名称"], [["@foo"], ["+86 411"]]).decode("utf-8")
    assert text.startswith("\ufeff名称\r\n") and "'@foo\r\n'+86 411\r\n" in text


def test_templates_have_chinese_headers_an_example_and_notes():
    for kind in all_kinds():
        workbook = openpyxl.load_workbook(io.BytesIO(template(kind)))
        assert workbook.sheetnames == ["数据", "说明"]
        data = workbook["数据"]
        headers = [c.value for c in data[1]]
        assert headers == [c.header for c in kind.importable]
        assert data.max_row == 2  # one example row
        notes = [row[0] for row in workbook["说明"].iter_rows(values_only=True)]
        assert all(header in notes for header in headers)
    tax = openpyxl.load_workbook(io.BytesIO(template(get_kind("tax"))))["数据"]
    assert [c.value for c in tax[1]] == ["统一社会信用代码", "企业名称", "所属期", "全口径税收（元）", "区级税收（元）"]


def test_a_template_filled_in_imports_its_example_row(session, district):
    from crm.io.imports import build_plan
    from tests import factories as f

    f.building(session, "XG01")  # the building the example row names
    plan, _ = build_plan(session, None, get_kind("companies"), "模板.xlsx", template(get_kind("companies")), TODAY)
    assert plan.ok and plan.counts()["create"] == 1


def test_defusedxml_guards_openpyxl():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True  # openpyxl parses through defusedxml when it is installed


def test_export_of_companies_keeps_the_list_filters(session, district):
    kind = get_kind("companies")
    items = kind.export_items(session, EVERYWHERE, {"registered": "yes"}, TODAY)
    sheet = openpyxl.load_workbook(io.BytesIO(export(kind, items, "xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("统一社会信用代码", "企业名称") and [r[1] for r in rows[1:]] == ["注册甲有限公司"]
