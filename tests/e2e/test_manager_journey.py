"""A building manager records a move-in and a move-out, confirms last month, and sees the
occupancy change on the building page and on the dashboard (demo data; today 2026-11-15, so
last month is 2026-10, which the demo leaves unconfirmed)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

NEW_COMPANY = "端到端测试科技有限公司"
NEW_USCC_BODY = "91210200MA0Q0E2E0"  # 17 characters; the check character is computed


def valid_uscc(first17: str) -> str:
    from crm.services.uscc import check_character

    return first17 + check_character(first17)


def square_metres(text: str) -> float:
    return float(re.search(r"([\d,]+(?:\.\d+)?) m²", text).group(1).replace(",", ""))


def dashboard_occupied(page) -> float:
    page.goto("/")
    return square_metres(page.locator("[data-testid=stat-occupied]").inner_text())


def building_occupancy(page) -> str:
    return page.locator("[data-testid=building-occupancy]").inner_text()


def test_manager_moves_in_moves_out_and_confirms_the_month(sign_in, screenshot):
    page = sign_in("louyu1")
    occupied_before = dashboard_occupied(page)

    page.goto("/buildings")
    page.locator("[data-testid=buildings-table] tbody tr").first.locator("td").nth(1).locator("a").click()
    page.wait_for_selector("[data-testid=manage-bar]")
    # The plan comes after the page's own stylesheet, which holds the parser until it loads: read
    # the plan only from the whole page.
    page.wait_for_load_state("load")
    code = page.url.rstrip("/").split("/")[-1]
    assert page.locator("[data-testid=confirm-due]").is_visible()
    before = building_occupancy(page)
    # Units vacant at the end of October (the stacking plan shows the as-of month's last day).
    vacant_at_month_end = [
        t.split(" · ")[0] for t in page.locator(".sp-unit.st-vacant").evaluate_all("els => els.map(e => e.title)")
    ]
    assert vacant_at_month_end, "the demo building should have a vacant unit"
    page.locator(".sp-unit").first.click()
    assert re.search(
        rf"/buildings/{code}/units/\d+$", page.locator("[data-testid=manage-unit-link]").get_attribute("href")
    )
    screenshot(page, "manager-building-before")

    # Move-in on 31 October of a company new to the system, into a unit vacant then and today.
    page.click("text=登记入驻")
    page.wait_for_selector("[data-testid=move-in-form]")
    label = next(
        page.locator(f"label.unit-choice[title^='{unit} ·']")
        for unit in vacant_at_month_end
        if page.locator(f"label.unit-choice[title^='{unit} ·']").count()
        and "空置" in page.locator(f"label.unit-choice[title^='{unit} ·']").get_attribute("title")
    )
    moved_in_area = square_metres(label.get_attribute("title"))
    label.click()
    page.fill("#company", NEW_COMPANY)
    page.locator("details summary").click()
    page.fill("#uscc", valid_uscc(NEW_USCC_BODY))
    page.fill("#start_date", "2026-10-31")
    page.fill("#end_date", "2029-10-30")
    screenshot(page, "manager-move-in-form")
    page.click("button:has-text('登记入驻')")
    page.wait_for_selector(".alert-success")
    assert f"已登记 {NEW_COMPANY} 入驻" in page.locator(".alert-success").inner_text()
    after_move_in = building_occupancy(page)
    assert float(after_move_in.rstrip("%")) > float(before.rstrip("%"))

    # Move-out on 31 October of another tenant: from that day it no longer counts.
    row = page.locator("[data-testid=tenants-table] tbody tr").filter(has_not_text=NEW_COMPANY).first
    moved_out_area = float(row.locator("td").nth(4).get_attribute("data-value"))
    row.locator("a", has_text="迁出").click()
    page.wait_for_selector("[data-testid=move-out-form]")
    page.fill("#moved_out_on", "2026-10-31")
    page.select_option("#reason", "提前退租")
    page.click("button:has-text('登记迁出')")
    page.wait_for_selector(".alert-success")
    after_move_out = building_occupancy(page)
    assert float(after_move_out.rstrip("%")) < float(after_move_in.rstrip("%"))

    # Confirm October for this building: the figure is frozen as shown.
    page.goto("/confirmations")
    card = page.locator(f"[data-testid=confirm-{code}]")
    assert card.locator("[data-testid=confirm-occupancy]").inner_text() == after_move_out
    screenshot(page, "manager-confirmations")
    card.locator("[data-testid=confirm-button]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator(f"[data-testid=confirm-{code}] [data-testid=confirmed-badge]").is_visible()

    page.goto(f"/buildings/{code}")
    assert building_occupancy(page) == after_move_out
    assert "已确认月报" in page.locator("[data-testid=building-occupancy]").locator("..").inner_text()
    assert page.locator("[data-testid=confirm-due]").count() == 0
    screenshot(page, "manager-building-after")

    occupied_after = dashboard_occupied(page)
    assert occupied_after == pytest.approx(occupied_before + moved_in_area - moved_out_area, abs=1.0)
    screenshot(page, "manager-dashboard-after")

    page.goto(f"/buildings/{code}/history")
    assert page.locator("[data-testid=timeline] li").count() >= 3
    screenshot(page, "manager-history")
