"""A manager sees only their street; leadership sees the whole district."""

from __future__ import annotations

import pytest

from crm.models.choices import STREETS

pytestmark = pytest.mark.e2e


def test_manager_sees_only_their_street_and_a_stacking_plan(sign_in, screenshot):
    page = sign_in("louyu1")
    page.goto("/buildings")
    rows = page.locator("[data-testid=buildings-table] tbody tr")
    count = rows.count()
    assert count > 0
    streets = {rows.nth(i).locator("td").nth(2).inner_text() for i in range(count)}
    assert streets == {STREETS[0]}
    screenshot(page, "manager-buildings")

    rows.first.locator("td").nth(1).locator("a").click()
    page.wait_for_selector("[data-testid=stacking-plan]")
    units = page.locator(".sp-unit")
    assert units.count() > 10
    assert page.locator(".sp-unit.st-occupied").count() > 0
    units.first.click()
    assert "m²" in page.locator("#sp-info").inner_text()
    screenshot(page, "manager-building-stacking-plan")


def test_leader_sees_all_35_buildings_and_sorts(sign_in, screenshot):
    page = sign_in("leader")
    page.goto("/buildings")
    assert page.locator("[data-testid=buildings-table] tbody tr").count() == 35
    assert page.locator(".badge", has_text="演示数据").count() == 1
    # Sort by occupancy, descending: the first row has the highest figure.
    header = page.locator("th", has_text="入驻率")
    header.click()
    header.click()
    values = page.locator("[data-testid=buildings-table] tbody tr td:nth-child(6)").all_inner_texts()
    numbers = [float(v.rstrip("%")) for v in values if v != "—"]
    assert numbers == sorted(numbers, reverse=True)
    screenshot(page, "leader-buildings")

    page.goto("/")
    assert page.locator("[data-testid=stat-buildings]").inner_text() == "35 栋"
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 2")
    screenshot(page, "leader-dashboard")
