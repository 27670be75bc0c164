"""An admin uploads a company list, reads the preview, confirms, and finds the new company listed."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from crm.services.uscc import check_character

pytestmark = pytest.mark.e2e

BODY = "91210203E2E000001"
USCC = BODY + check_character(BODY)
NAME = "端到端导入测试科技有限公司"


def test_upload_preview_confirm_and_find_the_rows(sign_in, screenshot, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["统一社会信用代码", "企业名称", "产业类别", "属地注册"])
    sheet.append([USCC, NAME, "数字技术服务", "是"])
    path = tmp_path / "新企业名录.xlsx"
    workbook.save(path)

    page = sign_in("admin")
    page.goto("/imports")
    page.select_option("select[name=kind]", "companies")
    page.set_input_files("input[name=file]", str(path))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-status]")
    assert page.locator("[data-testid=import-status]").inner_text() == "待确认"
    assert page.locator("[data-testid=count-create]").inner_text() == "1 行"
    assert page.locator("[data-testid=count-errors]").inner_text() == "0 处"
    assert USCC in page.locator("[data-testid=import-sample]").inner_text()
    screenshot(page, "import-preview")

    page.click("[data-testid=confirm-import]")
    page.wait_for_selector("[data-testid=import-changes]")
    assert "导入完成：新增 1 条" in page.locator(".alert-success").inner_text()
    assert page.locator("[data-testid=import-status]").inner_text() == "已导入"
    screenshot(page, "import-applied")

    page.goto("/companies?q=端到端导入")
    rows = page.locator("[data-testid=companies-table] tbody tr")
    assert rows.count() == 1
    assert NAME in rows.first.inner_text() and USCC in rows.first.inner_text()
    screenshot(page, "import-company-listed")

    page.goto("/imports")
    assert "新企业名录.xlsx" in page.locator("[data-testid=import-history]").inner_text()
    screenshot(page, "import-history")
