"""``crm import KIND FILE [--dry-run]`` and ``crm export KIND --out FILE``."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from crm.models import Company, ImportBatch
from tests import factories as f
from tests.io.helpers import csv_bytes, db_state

NEW = f.make_uscc(103)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_dry_run_reports_and_writes_nothing_then_import_applies(app, session, district, tmp_path):
    path = tmp_path / "企业.csv"
    path.write_bytes(
        csv_bytes([["统一社会信用代码", "企业名称"], [NEW, "命令行企业"], [f.make_uscc(102), "外地乙有限公司"]])
    )
    before = db_state()
    result = run(app, "import", "companies", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "新增 1 行，更新 0 行，不变 1 行" in result.output and "试运行" in result.output
    session.rollback()
    assert db_state() == before and session.scalar(select(func.count()).select_from(ImportBatch)) == 0

    result = run(app, "import", "companies", str(path))
    assert result.exit_code == 0, result.output
    session.rollback()
    assert session.scalar(select(Company.name).where(Company.uscc == NEW)) == "命令行企业"
    batch = session.scalar(select(ImportBatch))
    assert (batch.status, batch.user_id, batch.created_count) == ("applied", None, 1)


def test_a_rejected_file_exits_1_with_the_row_numbered_report(app, session, district, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["统一社会信用代码", "企业名称"], [NEW, "好"], ["91310110666007217U", "坏"]]))
    before = db_state()
    result = run(app, "import", "companies", str(path))
    assert result.exit_code == 1
    assert "错误：第 3 行，A 列「统一社会信用代码」：统一社会信用代码校验位错误" in result.output
    assert "没有写入任何数据" in result.output
    session.rollback()
    assert db_state() == before


def test_unmatched_tax_codes_need_create_unmatched(app, session, district, tmp_path):
    path = tmp_path / "tax.csv"
    path.write_bytes(
        csv_bytes([["统一社会信用代码", "企业名称", "所属期", "全口径税收（元）"], [NEW, "新公司", "2026-10", 5]])
    )
    result = run(app, "import", "tax", str(path))
    assert result.exit_code == 1 and f"未匹配：第 2 行，统一社会信用代码 {NEW} 2026-10" in result.output
    result = run(app, "import", "tax", str(path), "--create-unmatched")
    assert result.exit_code == 0, result.output
    session.rollback()
    assert session.scalar(select(Company.name).where(Company.uscc == NEW)) == "新公司"


def test_acting_as_a_manager_limits_the_rows(app, session, district, tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(csv_bytes([["楼宇编码", "楼层", "单元号", "面积（m²）"], ["A01", 9, "01", 10]]))
    result = run(app, "import", "units", str(path), "--user", "ly")
    assert result.exit_code == 1 and "不在您负责的楼宇范围内" in result.output


def test_export_writes_the_list(app, session, district, tmp_path):
    out = tmp_path / "企业.csv"
    result = run(app, "export", "companies", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["统一社会信用代码", "企业名称"] and {r[1] for r in rows[1:]} == {
        "注册甲有限公司",
        "外地乙有限公司",
    }
    result = run(
        app,
        "export",
        "tax",
        "--out",
        str(tmp_path / "tax.xlsx"),
        "--building",
        "B01",
        "--first",
        "2026-09",
        "--last",
        "2026-09",
    )
    assert result.exit_code == 0 and (tmp_path / "tax.xlsx").stat().st_size > 0
    assert run(app, "export", "companies", "--out", str(tmp_path / "x.pdf")).exit_code == 1
