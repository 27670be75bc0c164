"""Each role's day starts on its home panel and menu, at 1440 px and on a 390 px phone; a manager
walks a building on the phone (巡楼) and records a move-out one-handed. Screenshots go to
test-artifacts/roles-<role>-<width>.png."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# role -> (demo login, the home panel, menu items that must be there, menu items that must not)
ROLES = {
    "manager": (
        "louyu1",
        "home-manager",
        ["首页", "月度填报", "楼宇", "租约到期", "入驻申请"],
        ["招商项目", "我的跟进"],
    ),
    "promoter": ("zhaoshang1", "home-promoter", ["首页", "我的跟进", "招商项目", "看板"], ["月度填报"]),
    "leader": ("leader", "home-leader", ["首页", "简报", "亿元楼", "填报情况"], ["我的跟进", "月度填报"]),
    "admin": ("admin", "home-manager", ["首页", "月度填报", "招商项目", "属地化", "预警", "更多", "系统管理"], []),
}


def menu_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("#mainnav .navbar-nav > .nav-item > .nav-link").all_inner_texts()]


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("role", list(ROLES))
def test_home_and_menu_of_each_role(sign_in, screenshot, role):
    username, panel, present, absent = ROLES[role]
    page = sign_in(username)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/")
    assert page.locator(f"[data-testid={panel}]").is_visible()
    labels = menu_labels(page)
    assert all(item in labels for item in present), labels
    assert not any(item in labels for item in absent), labels
    # The whole menu sits on one line at 1440 px.
    tops = page.locator("#mainnav .navbar-nav > .nav-item").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().top)"
    )
    assert len(set(tops)) == 1, tops
    assert fits_width(page)
    screenshot(page, f"roles-{role}-1440")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.click(".navbar-toggler")
    page.wait_for_selector("#mainnav.show")
    assert page.get_by_role("link", name=present[1], exact=True).is_visible()
    assert fits_width(page)
    screenshot(page, f"roles-{role}-390")

    if role == "leader":
        # A leader reads who has confirmed the month, and a building's units, without write links.
        page.set_viewport_size({"width": 1440, "height": 900})
        assert page.goto("/confirmations/status").status == 200
    if role == "promoter":
        # The kanban fits a 1366 px laptop: the folded 搁置 and 退出 columns end inside the window.
        page.set_viewport_size({"width": 1366, "height": 800})
        page.goto("/leads/board")
        right = page.locator("[data-testid=column-lost]").evaluate("e => e.getBoundingClientRect().right")
        assert right <= 1366
        page.click("[data-testid=fold-lost]")
        assert page.locator("[data-testid=column-lost] .board-card").first.is_visible()
        screenshot(page, "roles-promoter-board-1366")


def test_manager_walks_a_floor_on_the_phone_and_moves_a_tenant_out(sign_in, screenshot):
    page = sign_in("louyu5")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/buildings")
    code = (
        page.locator("[data-testid=buildings-table] tbody tr")
        .first.locator("td")
        .nth(1)
        .locator("a")
        .get_attribute("href")
        .rstrip("/")
        .split("/")[-1]
    )
    page.goto(f"/buildings/{code}/units")
    assert page.locator("[data-testid=unit-card]").first.is_visible()
    assert fits_width(page)
    screenshot(page, "roles-manager-units-390")

    page.goto(f"/buildings/{code}/walk")
    page.locator(".walk-floor").first.click()
    occupied = page.locator("[data-testid=walk-unit]", has=page.get_by_role("link", name="迁出", exact=True)).first
    number = occupied.locator("strong").inner_text()
    button = occupied.get_by_role("link", name="迁出", exact=True)
    assert button.bounding_box()["height"] >= 44  # a thumb's target
    screenshot(page, "roles-manager-walk-390")
    button.click()
    page.wait_for_selector("[data-testid=move-out-form]")
    assert page.evaluate("document.documentElement.scrollHeight") <= 844 * 1.5
    screenshot(page, "roles-manager-move-out-390")
    page.select_option("[data-testid=move-out-form] select[name=reason]", index=1)
    page.click("[data-testid=move-out-form] button[type=submit]")
    page.wait_for_selector("[data-testid=walk]")
    assert "已登记" in page.locator(".alert-success").inner_text()
    card = page.locator("[data-testid=walk-unit]", has=page.locator("strong", has_text=number)).first
    assert "空置" in card.inner_text()
    screenshot(page, "roles-manager-walk-after-390")
