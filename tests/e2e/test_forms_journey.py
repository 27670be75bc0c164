"""Forms in the browser: the searchable target-building picker (Tom Select) on a new lead, and a
stage move back down the line that asks for a reason and a confirmation."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_target_buildings_by_search_and_a_backward_move_with_reason(sign_in, screenshot, page):
    sign_in("zhaoshang1")
    page.goto("/leads/new")
    page.fill("#company_name", "西港启明新材料研究（上海）有限公司")
    page.select_option("#source", "展会")
    page.fill("#intended_area", "1,200.5")
    # The plain multi-select became a searchable picker: type, pick, type again, pick.
    picker = page.locator("#target_building_ids-ts-control")
    for code in ("XG01", "XG02"):
        picker.fill(code)
        page.locator(".ts-dropdown .option", has_text=code).first.click()
    chosen = page.locator(".ts-wrapper .item").all_inner_texts()
    assert len(chosen) == 2 and chosen[0].startswith("XG01") and chosen[1].startswith("XG02")
    screenshot(page, "forms-target-buildings")
    page.evaluate("document.activeElement.blur()")  # the user leaves the picker before saving
    page.locator("#target_building_ids-ts-dropdown").wait_for(state="hidden")
    page.click("main button:has-text('保存')")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    assert "XG01" in page.content() and "XG02" in page.content()

    # 线索 → 接洽 is the form's default; then back to 线索 needs a reason and a confirmation.
    assert page.locator("#stage option:checked").inner_text().startswith("接洽")
    page.click("button:has-text('确认推进')")
    assert "已移至「接洽」" in page.locator(".alert-success").inner_text()
    assert page.locator("#stage option:checked").inner_text().startswith("考察")
    page.select_option("#stage", "lead")
    assert page.locator("[data-backward-note]").is_visible()
    page.click("button:has-text('确认退回')")  # no reason: the browser keeps the form, nothing is sent
    assert page.locator("#reason:invalid").count() == 1
    assert "已移至「接洽」" in page.locator(".alert-success").inner_text()  # still the page of the last move
    page.fill("#reason", "企业暂缓扩张，重新摸底")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    screenshot(page, "forms-backward-move")
    page.click("button:has-text('确认退回')")
    page.wait_for_selector(".alert-success")
    assert messages == ["确定将项目从「接洽」退回到「线索」吗？"]
    assert "已移至「线索」" in page.locator(".alert-success").inner_text()
    assert "退回原因：企业暂缓扩张，重新摸底" in page.locator("[data-testid=timeline]").inner_text()
    screenshot(page, "forms-backward-move-recorded")
