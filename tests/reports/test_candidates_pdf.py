"""The candidate PDF: the same figures as the JSON, an embedded CJK font, every page renders,
names with markup render literally, and a clear error when no font can be found."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import datetime

import pytest
from pypdf import PdfReader

import crm
from crm.reports import fonts
from crm.reports.candidates import build_candidates_pdf
from crm.services.candidates import as_json, candidate_report
from crm.services.periods import BUSINESS_TZ
from tests import candidate_district as district

GENERATED = datetime(2026, 7, 3, 9, 30, tzinfo=BUSINESS_TZ)
INJECTION = '<img src="http://127.0.0.1:9/x.png"/> & <font color="red">红字</font>'


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture()
def report_pdf(session):
    district.build(session)
    data = as_json(candidate_report(session, 2026, "2026-06"))
    return data, build_candidates_pdf(data, GENERATED)


def test_pdf_shows_the_json_figures_in_wan(report_pdf):
    data, pdf = report_pdf
    text = pdf_text(pdf)
    flat = squeeze(text)
    assert "西岗区亿元税收楼宇候选名单" in flat
    assert (
        squeeze("西岗区 · 2026年 · 数据截至 2026年6月 · 口径 全口径 · 亿元楼门槛 1.00 亿元 · 候选门槛 5,000.0 万元")
        in flat
    )
    # 本年亿元楼 above the candidates: B 1.02 亿元 / 8,400.0 万元 (¥100 m and more print in 亿元).
    assert flat.index("乙大厦") < flat.index("甲大厦")
    assert "1.02 亿元" in text and "8,400.0" in text
    # A: YTD 5,400.0, same period 6,000.0, −10.0 %, projection 1.08 亿元, gap −800.0, 57,000 per m².
    for figure in ["5,400.0", "6,000.0", "-10.0%", "1.08 亿元", "-800.0", "57,000"]:
        assert figure in text, figure
    # C: fallback projection 7,500.0, per m² 38,333, vacancy 1,916.7, pipeline 570.0 (a lead shared with
    # D); D: pipeline 70.0, YTD 3,300.0; F: +133.3 % year on year.
    for figure in ["7,500.0", "38,333", "1,916.7", "570.0", "70.0", "+133.3%", "3,300.0"]:
        assert figure in text, figure
    for row in data["candidates"]:
        assert squeeze(row["verdict"]) in flat
    assert "内部资料" in text and "第 1 页" in text and "生成于 2026-07-03 09:30" in text
    assert squeeze("预计全年 = 本年累计 × 上年全年 ÷ 上年同期") in flat
    assert squeeze("本年累计 × 12 ÷ 截至月份的月数") in flat


def test_the_cjk_font_is_embedded_as_truetype(report_pdf):
    _, pdf = report_pdf
    embedded = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.append(font["/BaseFont"])
            assert "STSong" not in str(font.get("/BaseFont"))
    assert embedded, "no embedded TrueType font (FontFile2) in the PDF"


def test_every_page_renders_with_pdftoppm(report_pdf, tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm not found (apt-get install poppler-utils)")
        pytest.skip("pdftoppm not found (poppler-utils)")
    _, pdf = report_pdf
    path = tmp_path / "candidates.pdf"
    path.write_bytes(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    result = subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == pages >= 1
    assert all(image.stat().st_size > 1000 for image in images)
    assert "Error" not in result.stderr


def test_markup_in_names_renders_literally(session):
    district.build(session, names={"A01": INJECTION})
    data = as_json(candidate_report(session, 2026, "2026-06"))
    pdf = build_candidates_pdf(data, GENERATED)
    flat = squeeze(pdf_text(pdf))
    assert squeeze(INJECTION) in flat
    assert b"/XObject" not in pdf  # no image was fetched and placed


def test_the_table_header_repeats_on_every_page(session):
    district.build(session)
    data = as_json(candidate_report(session, 2026, "2026-06"))
    row = data["candidates"][-1]
    data["candidates"] = [dict(row, rank=i, code=f"X{i:02d}", name=f"楼宇{i}") for i in range(1, 61)]
    reader = PdfReader(io.BytesIO(build_candidates_pdf(data, GENERATED)))
    # Table rows carry the street (人民广场); the chart's labels do not.
    table_pages = [p.extract_text() for p in reader.pages if "人民广场" in p.extract_text()]
    assert len(table_pages) >= 2
    assert all("预计全年" in squeeze(text) and "研判" in text for text in table_pages)
    assert f"共 {len(reader.pages)} 页" in reader.pages[-1].extract_text()


def test_no_candidates_is_said_in_words(session):
    data = {
        "year": 2026,
        "as_of": "2026-03",
        "basis": "total",
        "threshold": 1e8,
        "candidate_threshold": 5e7,
        "yi_buildings": [],
        "candidates": [],
    }
    flat = squeeze(pdf_text(build_candidates_pdf(data, GENERATED)))
    assert "没有预计全年税收达到候选门槛的楼宇" in flat
    assert "尚无楼宇本年累计税收达到亿元楼门槛" in flat


def test_a_missing_font_is_told_without_a_command_to_run(tmp_path, caplog):
    with pytest.raises(fonts.FontNotFound) as refused:
        fonts.register_cjk_font(str(tmp_path / "none.ttf"))
    assert "管理员" in str(refused.value)
    assert "apt-get" not in str(refused.value) and "sudo" not in str(refused.value)
    assert "none.ttf" in caplog.text  # the operator finds the path in the log
    not_a_font = tmp_path / "fake.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(fonts.FontNotFound):
        fonts.register_cjk_font(str(not_a_font))


def test_the_shipped_font_is_used_unless_one_is_configured(monkeypatch):
    monkeypatch.setenv("CRM_PDF_FONT", "/opt/fonts/my.ttc#2")
    assert fonts.candidate_fonts() == [("/opt/fonts/my.ttc", 2)]
    monkeypatch.delenv("CRM_PDF_FONT")
    path, index = fonts.candidate_fonts()[0]
    assert path.startswith(os.path.dirname(crm.__file__)) and path.endswith("wqy-microhei.ttc")
    assert os.path.isfile(path) and index == 0
    assert os.path.isfile(os.path.join(os.path.dirname(path), "LICENSE-Apache-2.0.txt"))
