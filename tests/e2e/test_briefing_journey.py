"""An admin generates October's briefing on /reports; a leader downloads the latest one there: the
PDF opens, reads in Chinese, and its headline occupancy is the dashboard's for that month. The
first pages, rendered by pdftoppm, are kept in test-artifacts/ beside the page screenshots."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.e2e

MONTH = "2026-10"  # the last complete month on 2026-11-15


def signed_in_page(browser, live_server, username):
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_leader_downloads_the_latest_briefing_with_the_dashboards_occupancy(browser, live_server, screenshot):
    admin_context, admin = signed_in_page(browser, live_server, "admin")
    admin.goto("/reports#briefings")
    form = admin.locator("[data-testid=briefing-generate-form]")
    assert form.locator("input[name=month]").input_value() == MONTH
    form.locator("[data-testid=briefing-generate]").click()
    admin.wait_for_selector("[data-testid=briefing-row]")
    assert "2026年10月月度简报已生成并归档" in admin.content()
    admin_context.close()

    context, page = signed_in_page(browser, live_server, "leader")
    page.goto("/?month=2026-10")
    dashboard_occupancy = page.locator("[data-testid=stat-occupancy]").inner_text().strip()
    page.click("nav >> text=亿元楼")  # the leader's way to /reports, where the briefings section is
    page.wait_for_selector("[data-testid=briefing-latest]")
    assert page.locator("[data-testid=briefing-generate-form]").count() == 0  # leaders read, never generate
    page.locator("#briefings").scroll_into_view_if_needed()
    screenshot(page, "leader-reports-briefings")
    with page.expect_download() as download:
        page.click("[data-testid=briefing-latest]")
    assert download.value.suggested_filename == "西岗区商务楼宇经济月度简报-2026年10月.pdf"
    pdf = open(download.value.path(), "rb").read()
    context.close()

    reader = PdfReader(io.BytesIO(pdf))
    first = reader.pages[0].extract_text()
    flat = "".join(first.split())
    assert "西岗区商务楼宇经济月度简报" in flat and "2026年10月" in flat and "演示数据" in flat
    headline = re.search(r"^入驻率\s*([\d.]+%)", first, re.MULTILINE)
    assert headline and headline.group(1) == dashboard_occupancy
    assert f"全区入驻率{dashboard_occupancy}" in flat

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not found (poppler-utils): the PDF was checked, its pages not rendered")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "briefing-2026-10.pdf"
    path.write_bytes(pdf)
    for old in ARTIFACTS.glob("briefing-page-*.png"):
        old.unlink()
    result = subprocess.run(
        ["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "3", str(path), str(ARTIFACTS / "briefing-page")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    images = sorted(ARTIFACTS.glob("briefing-page-*.png"))
    assert len(images) == min(3, len(reader.pages)) and all(image.stat().st_size > 10_000 for image in images)
