"""A building manager handles a warning: the bell tells of it, the list shows it, they take it
in hand (待处置 → 处置中), try to resolve it without a reason (told, note kept), then resolve it
with one (已解除) and read the timeline (the demo's warnings, evaluated on its day 2026-11-15)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def managers_warning(served_app):
    """A pending 未确认 warning of a building manager, from the demo the server serves."""
    from crm.extensions import db
    from crm.models import EarlyWarning, User

    with served_app.app_context():
        row = db.session.execute(
            select(EarlyWarning.id, EarlyWarning.title, User.username)
            .join(User, User.id == EarlyWarning.owner_id)
            .where(User.role == "manager", EarlyWarning.state == "pending", EarlyWarning.rule == "unconfirmed")
            .order_by(EarlyWarning.id)
            .limit(1)
        ).one()
        db.session.remove()
    return row


def test_a_manager_takes_a_warning_in_hand_and_resolves_it(managers_warning, sign_in, screenshot):
    warning_id, title, username = managers_warning
    page = sign_in(username)
    assert page.locator("[data-testid=bell-count]").is_visible()  # told of the new warnings

    page.goto("/warnings?state=pending")
    row = page.locator("[data-testid=warning-row]", has_text=title)
    assert row.count() == 1
    row.locator("a").first.click()
    page.wait_for_url(f"**/warnings/{warning_id}")
    assert page.locator("[data-testid=warning-state]").inner_text() == "待处置"

    page.fill("#start-note", "已电话提醒楼宇负责人本周内补录")
    page.click("text=开始处置")
    page.wait_for_selector("text=已开始处置")
    assert page.locator("[data-testid=warning-state]").inner_text() == "处置中"

    page.fill("#resolve-note", "楼宇已补录十月数据并确认")
    page.click("text=解除预警")
    assert page.locator("text=请选择解除原因").is_visible()
    assert page.input_value("#resolve-note") == "楼宇已补录十月数据并确认"  # kept as typed

    page.select_option("#resolve-reason", "data_error")
    page.click("text=解除预警")
    page.wait_for_selector("text=预警已解除")
    assert page.locator("[data-testid=warning-state]").inner_text() == "已解除"
    assert "数据有误" in page.locator("[data-testid=resolved-box]").inner_text()
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert (
        "待处置 → 处置中" in timeline and "处置中 → 已解除" in timeline and "已电话提醒楼宇负责人本周内补录" in timeline
    )
    screenshot(page, "warnings-manager-resolved")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/warnings")
    assert page.locator("[data-testid=counts-table]").is_visible()
    screenshot(page, "warnings-list-phone")
