"""Signing out from the menu, on a desktop screen and on a phone (where the menu folds away)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_sign_out_from_the_menu(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport=viewport)
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=username]", "leader")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        if viewport["width"] < 992:  # Bootstrap's lg breakpoint: the menu hides behind the toggler
            page.click("button.navbar-toggler")
            # Clicked while the menu still slides open, the button can be missed on a busy machine.
            page.wait_for_selector(".navbar-collapse.show")
        page.click("form[action='/logout'] button")
        page.wait_for_url("**/login")
        assert "您已退出登录" in page.locator(".alert").inner_text()
        page.goto("/buildings")
        assert "/login" in page.url
    finally:
        context.close()
