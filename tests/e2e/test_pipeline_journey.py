"""A promoter's lead from first contact to a confirmed move-in, in the browser."""

from __future__ import annotations

import re

import pytest

from crm.models.choices import STREETS

pytestmark = pytest.mark.e2e

USCC = "91210200241281392F"


def funnel(page) -> dict[str, int]:
    page.goto("/?month=2026-11")  # the running month: today's pipeline (a past month stays as it ended)
    return {
        stage: int(page.locator(f"[data-testid=funnel-{stage}]").inner_text())
        for stage in ("lead", "negotiation", "registered", "settled")
    } | {"landed": int(page.locator("[data-testid=landed-month]").inner_text())}


def occupancy(page, code: str) -> float:
    page.goto(f"/buildings/{code}?month=2026-11")
    return float(page.locator("[data-testid=building-occupancy]").inner_text().rstrip("%"))


def test_lead_to_move_in(sign_in, screenshot, page):
    sign_in("zhaoshang1")
    before = funnel(page)

    # Another promoter's active lead: typing its name in another legal form is caught.
    page.goto("/leads?stage=negotiation")
    existing = page.locator("[data-testid=leads-table] tbody tr td:first-child a").first.inner_text()
    variant = existing.replace("有限公司", "有限责任公司") if "有限公司" in existing else existing + "有限公司"
    page.goto("/leads/new")
    page.fill("#company_name", variant)
    page.select_option("#source", "展会")
    page.select_option("#industry_group", "数字技术服务")
    page.select_option("#hq_type", "regional")
    page.fill("#intended_area", "600")
    page.fill("#expected_annual_tax", "250")
    page.click("main button:has-text('保存')")
    warning = page.locator("[data-testid=duplicates]")
    assert "疑似重复" in warning.inner_text() and "负责人" in warning.inner_text()
    screenshot(page, "pipeline-duplicate-warning")
    page.check("#confirm_duplicate")
    page.click("main button:has-text('保存')")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    lead_url = page.url
    lead_id = lead_url.rsplit("/", 1)[1]

    page.fill("#notes", "电话联系企业负责人，约下周实地考察")
    page.click("[data-testid=followup-form] button[type=submit]")
    assert "约下周实地考察" in page.locator("[data-testid=timeline]").inner_text()
    assert page.locator("[data-testid=next-followup]").inner_text() == "2026-11-22"

    page.goto("/leads/board?owner=me")
    card = page.locator(f".board-card[data-lead='{lead_id}']")
    card.drag_to(page.locator(".board-cards[data-stage=negotiation]"))
    page.wait_for_selector("[data-testid=board-message]")
    assert "已移至「洽谈」" in page.locator("[data-testid=board-message]").inner_text()
    assert page.locator(f".board-cards[data-stage=negotiation] .board-card[data-lead='{lead_id}']").count() == 1
    screenshot(page, "pipeline-board")

    page.goto(f"{lead_url}/matches")
    first = page.locator("[data-testid=matches-table] tbody tr").first
    building_link = first.locator("a[href*='/buildings/']").first
    code = building_link.get_attribute("href").rsplit("/", 1)[1].split("?")[0]
    screenshot(page, "pipeline-matches")
    occupancy_before = occupancy(page, code)
    page.goto(f"{lead_url}/matches")
    page.locator("[data-testid=matches-table] tbody tr").first.locator("button", has_text="预留").click()
    page.wait_for_url(lead_url)
    assert page.locator("[data-testid=reservations] li").count() >= 1

    page.select_option("#stage", "registered")
    page.click("button:has-text('确认推进')")
    page.click("text=登记落地入驻")
    # click() returns once the land page starts loading: wait until it is parsed before counting.
    page.wait_for_url(f"{lead_url}/land")
    assert page.locator("input[name=unit_ids]:checked").count() >= 1  # the held units, ticked
    page.fill("#uscc", USCC)
    page.click("button:has-text('提交入驻申请')")
    page.wait_for_url(lead_url)
    assert "待确认" in page.locator("[data-testid=pending-request]").inner_text()
    screenshot(page, "pipeline-lead")

    page.goto(f"/buildings/{code}")
    street = next(s for s in STREETS if f"{s}街道" in page.locator("h1 + div").inner_text())
    page.click("form[action='/logout'] button")
    sign_in(f"louyu{STREETS.index(street) + 1}")
    page.goto("/movein-requests")
    row = page.locator("[data-testid=movein-table] tbody tr", has_text=variant)
    screenshot(page, "pipeline-movein-requests")
    row.locator("button", has_text="确认入驻").click()
    assert "租约已生成" in page.locator(".alert-success").inner_text()
    assert occupancy(page, code) > occupancy_before
    page.click("form[action='/logout'] button")

    sign_in("zhaoshang1")
    after = funnel(page)
    assert after["settled"] == before["settled"] + 1 and after["landed"] == before["landed"] + 1
    assert after["negotiation"] == before["negotiation"] and after["registered"] == before["registered"]
    screenshot(page, "pipeline-dashboard")
