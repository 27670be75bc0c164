"""Leadership reads the candidate list and the tax pages; a promoter sees a building's tax tab."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_leader_reads_candidates_downloads_pdf_and_tax_pages(sign_in, screenshot):
    page = sign_in("leader")
    page.click("nav >> text=亿元楼")  # the leader's menu item for the candidate list on /reports
    page.wait_for_selector("[data-testid=candidates-table]")
    assert page.locator("[data-testid=candidates-table] tbody tr").count() >= 1
    assert "数据截至 2026年10月" in page.locator("[data-testid=candidates-basis]").inner_text()
    assert page.locator("canvas[data-tax-chart=candidates]").count() == 1
    screenshot(page, "leader-reports-candidates")
    with page.expect_download() as download:
        page.click("[data-testid=candidates-pdf]")
    assert download.value.suggested_filename == "candidates-2026-10.pdf"

    page.click("nav >> text=税收")
    page.wait_for_selector("[data-testid=buildings-by-year]")
    assert page.locator("[data-testid=buildings-by-year] tbody tr").count() == 35
    screenshot(page, "leader-district-tax")


def test_promoter_opens_a_building_tax_tab(sign_in, screenshot):
    page = sign_in("zhaoshang1")
    page.goto("/buildings/XG01")
    page.click(".nav-tabs >> text=税收")
    page.wait_for_selector("[data-testid=top-tenants]")
    assert page.locator("[data-testid=top-tenants] tbody tr").count() == 20
    screenshot(page, "promoter-building-tax")
    assert page.locator("nav >> text=报表").count() == 0
