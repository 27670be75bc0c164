"""Every bad file of the corpus is refused with the right row, column and reason, and leaves the
database exactly as it was (row counts and a content hash of every table an import may touch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.io.imports import import_now
from tests.io import make_corpus
from tests.io.conftest import TODAY
from tests.io.helpers import db_state

CORPUS = Path(__file__).parent / "corpus"

# file, kind, (row, column, letter) of the first error, a fragment of its reason
TEXT_CASES = [
    ("companies_missing_name_column.csv", "companies", (1, "企业名称", None), "缺少必填列“企业名称”"),
    ("companies_duplicate_column.csv", "companies", (1, "企业名称", "C"), "出现了两次（B 列和 C 列）"),
    ("companies_bad_checksum.csv", "companies", (2, "统一社会信用代码", "A"), "校验位错误：末位应为 T，实为 U"),
    ("companies_forbidden_letters.csv", "companies", (3, "统一社会信用代码", "A"), "不允许的字符：O、Z"),
    ("companies_same_key_twice.csv", "companies", (4, "统一社会信用代码", "A"), "与第 2 行重复"),
    ("companies_header_only.csv", "companies", (None, None, None), "没有数据行"),
    ("units_negative_area.csv", "units", (2, "面积（m²）", "D"), "面积必须大于 0，当前为 -20"),
    ("units_zero_area.csv", "units", (3, "面积（m²）", "D"), "面积必须大于 0，当前为 0"),
    ("units_non_numeric_area.csv", "units", (2, "面积（m²）", "D"), "面积应为数字，当前为“约一百平”"),
    # A01 declares 1,000 m² and has 400 m² of units: +500 fits (900), +200 would make 1,100.
    (
        "units_past_leasable.csv",
        "units",
        (3, "面积（m²）", "D"),
        "可租面积合计 1,100.00 m² 将超过登记办公面积 1,000.00 m²",
    ),
    ("tax_future_period.csv", "tax", (3, "所属期", "B"), "所属期 2026-12 尚未到来"),
    ("tax_malformed_period.csv", "tax", (2, "所属期", "B"), "所属期不存在：2026-13"),
    ("tax_non_numeric_amount.csv", "tax", (2, "全口径税收（元）", "C"), "全口径税收应为数字，当前为“一千元整”"),
    ("tax_negative_amount.csv", "tax", (2, "全口径税收（元）", "C"), "全口径税收必须大于 0，当前为 -1000"),
    ("tax_zero_amount.csv", "tax", (2, "全口径税收（元）", "C"), "全口径税收必须大于 0"),
    ("tax_same_key_twice.csv", "tax", (3, "统一社会信用代码", "A"), "的 2026-10 税收与第 2 行重复"),
    (
        "leases_overlap_db.csv",
        "leases",
        (2, "单元", "C"),
        "单元 2F-01 在该期间已有有效租约（外地乙有限公司，2025-01-01 起）",
    ),
    ("leases_overlap_in_file.csv", "leases", (3, "单元", "C"), "单元 3F-01 与第 2 行的租约时间重叠"),
    ("leases_self_use_unit.csv", "leases", (2, "单元", "C"), "单元 2F-02 为自用，不能出租"),
]

WHOLE_FILE_CASES = [
    ("empty.xlsx", "文件是空的"),
    ("csv_renamed.xlsx", "扩展名是 .xlsx，但内容不是 Excel 工作簿"),
    ("pdf_renamed.xlsx", "看起来是 PDF 文件"),
    ("zip_renamed.xlsx", "压缩包里没有 Excel 工作簿"),
    ("old_format.xls", "不支持旧版 Excel 97-2003（.xls）"),
    ("workbook_renamed.xlsm", "不接受含宏的工作簿（.xlsm）"),
    ("macro_inside.xlsx", "文件含有宏"),
    ("pdf_renamed.csv", "扩展名是 .csv，但内容不是文本表格"),
    ("report.pdf", "不支持的文件类型“.pdf”"),
    ("ratio_bomb.xlsx", "压缩比异常"),
    ("declared_size_bomb.xlsx", "解压后将达 3,815 MB"),
    ("entity_attack.xlsx", "含有 DTD 或实体声明"),
]


@pytest.fixture(scope="module")
def binary_corpus():
    return make_corpus.build()


def refused(session, district, kind, filename, data, user="admin"):
    """Try to import for real; assert nothing was written; return the plan's errors."""
    before = db_state()
    plan, batch = import_now(session, district[user], kind, filename, data, TODAY)
    session.rollback()
    assert batch is None
    assert db_state() == before
    assert plan.errors, "the file should have been refused"
    return plan.errors


@pytest.mark.parametrize("filename, kind, where, reason", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_bad_text_file_names_row_and_column_and_writes_nothing(session, district, filename, kind, where, reason):
    errors = refused(session, district, kind, filename, (CORPUS / filename).read_bytes())
    first = errors[0]
    assert (first.row, first.column, first.letter) == where
    assert reason in first.message


@pytest.mark.parametrize("filename, reason", WHOLE_FILE_CASES, ids=[c[0] for c in WHOLE_FILE_CASES])
def test_bad_binary_file_is_refused_before_reading_and_writes_nothing(
    session, district, binary_corpus, filename, reason
):
    errors = refused(session, district, "companies", filename, binary_corpus[filename])
    assert len(errors) == 1 and errors[0].row is None
    assert reason in errors[0].message


def test_a_manager_row_for_another_building_is_an_error(session, district):
    # The manager keeps B01 only: the A01 row (row 3) is refused, and so the whole file.
    errors = refused(
        session, district, "units", "u.csv", (CORPUS / "units_other_building.csv").read_bytes(), user="manager"
    )
    assert [(e.row, e.column) for e in errors] == [(3, "楼宇编码")]
    assert "A01（甲大厦）不在您负责的楼宇范围内" in errors[0].message


def test_every_error_of_a_file_is_reported_not_only_the_first(session, district):
    data = (
        "统一社会信用代码,所属期,全口径税收（元）,区级税收（元）\n"
        "912102000000001018,2026-10,abc,1\n"
        "91310110666007217U,2026-10,100,1\n"
        "912102000000001018,2026-08,100,200\n"
    )
    errors = refused(session, district, "tax", "t.csv", data.encode())
    assert [(e.row, e.letter) for e in errors] == [(2, "C"), (3, "A"), (4, "D")]
    assert "区级税收 200.00 元 大于全口径税收 100.00 元" in errors[2].message
