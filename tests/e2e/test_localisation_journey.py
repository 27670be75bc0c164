"""A promoter takes the untouched 属地化 target with the most tax at stake to 已完成 (属地注册 today), and the
dashboard's 属地注册率 of this month counts one more registered tenant — last month's stays."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def card(page) -> dict:
    page.goto("/?month=2026-11")
    registered, tenants = (int(n) for n in re.findall(r"\d+", page.locator("[data-testid=loc-counts]").inner_text()))
    return {
        "registered": registered,
        "tenants": tenants,
        "rate": page.locator("[data-testid=loc-rate]").inner_text(),
        "october": page.locator("[data-testid=loc-trend] td[data-month='2026-10']").inner_text(),
    }


def test_a_target_completed_moves_this_months_rate(sign_in, screenshot, page):
    sign_in("zhaoshang1")
    before = card(page)

    page.goto("/localisation?state=pending")
    # The first target nobody has taken up yet (the demo's work list has owned items above it).
    first = page.locator("[data-testid=localisation-table] tbody tr", has=page.locator("button:has-text('办理')")).first
    company = first.locator("td").first.inner_text()
    first.locator("button:has-text('办理')").click()
    page.wait_for_url(re.compile(r"/localisation/items/\d+$"))
    assert page.locator("[data-testid=item-state]").inner_text() == "待核实"

    page.fill("#notes", "上门走访，企业同意在本区注册")
    page.select_option("#method", "走访")
    page.click("button:has-text('保存跟进')")
    assert "上门走访，企业同意在本区注册" in page.content()

    page.select_option("#state", "done")
    page.fill("#completed_on", "2026-11-15")
    page.click("button:has-text('更新状态')")
    assert page.locator("[data-testid=item-state]").inner_text() == "已完成"
    assert page.locator("[data-testid=completed-on]").inner_text() == "2026-11-15"
    screenshot(page, "localisation-completed")

    page.goto("/localisation?state=done")
    assert company in page.locator("[data-testid=localisation-table]").inner_text()
    after = card(page)
    assert after["registered"] == before["registered"] + 1 and after["tenants"] == before["tenants"]
    assert after["october"] == before["october"]  # confirmed and before the date: unmoved
    screenshot(page, "localisation-dashboard-card")
