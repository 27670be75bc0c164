"""A promoter builds a space proposal (载体推荐书) for a lead from its matching results and downloads it."""

from __future__ import annotations

import io
import re
import subprocess

import pypdf
import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_promoter_sends_a_proposal(sign_in, screenshot, page):
    sign_in("zhaoshang2")
    page.goto("/leads/new")
    page.fill("#company_name", "推荐书旅程测试科技有限公司")
    page.select_option("#source", "展会")
    page.select_option("#industry_group", "数字技术服务")
    page.fill("#intended_area", "400")
    page.click("main button:has-text('保存')")
    page.wait_for_url(re.compile(r"/leads/\d+$"))
    lead_url = page.url

    page.goto(lead_url + "/matches")
    choices = page.locator("[data-testid=proposal-choice]")
    assert choices.count() >= 2
    choices.nth(0).check()
    choices.nth(1).check()
    first_building = page.locator("[data-testid=matches-table] tbody tr").nth(0).locator("td").nth(2).inner_text()
    screenshot(page, "proposal-choose-candidates")
    with page.expect_download() as download:
        page.click("[data-testid=proposal-submit]")
    content = open(download.value.path(), "rb").read()
    (ARTIFACTS / "proposal.pdf").write_bytes(content)  # rendered to PNG below, for a person to look at
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(ARTIFACTS / "proposal.pdf"), str(ARTIFACTS / "proposal")], check=True
    )
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert "载体推荐书" in text and "推荐书旅程测试科技有限公司" in text
    assert first_building.split("\n")[0].replace("意向楼宇", "").strip() in text
    assert "万元" not in text

    page.goto(lead_url)
    entry = page.locator("[data-testid=timeline-proposal]")
    assert "发送载体推荐书（2 个载体）" in entry.inner_text()
    screenshot(page, "proposal-on-timeline")
