"""A building manager uploads a photo to their building's profile and downloads the external
edition with it."""

from __future__ import annotations

import io
import subprocess

import pypdf
import pytest
from PIL import Image

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_manager_uploads_a_photo_and_the_external_profile_carries_it(sign_in, screenshot, page, tmp_path):
    photo = tmp_path / "大堂.jpg"
    Image.new("RGB", (2400, 1600), (40, 90, 160)).save(photo, "JPEG")  # larger than the 2,000 px cap
    sign_in("louyu1")
    page.goto("/buildings/XG01/profile")
    assert "0 / 6" in page.locator("h2:has-text('照片')").inner_text()
    page.set_input_files("#photo", str(photo))
    page.click("[data-testid=photo-form] button:has-text('上传照片')")
    shown = page.locator("[data-testid=photos] img")
    shown.first.wait_for()
    assert shown.count() == 1 and "1 / 6" in page.locator("h2:has-text('照片')").inner_text()
    assert shown.first.get_attribute("width") == "2000"  # re-encoded at the cap, the ratio kept
    screenshot(page, "profile-photo-uploaded")

    with page.expect_download() as download:
        page.click("[data-testid=external-pdf]")
    content = open(download.value.path(), "rb").read()
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert "招商推介资料" in reader.pages[0].extract_text()
    assert any(page_.images for page_ in reader.pages)  # the photo is in the PDF
    (ARTIFACTS / "external-with-photo.pdf").write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(ARTIFACTS / "external-with-photo.pdf"),
            str(ARTIFACTS / "external-with-photo"),
        ],
        check=True,
    )
