"""The briefing PDF: it prints the JSON's figures, every page renders, the CJK font is embedded,
names with markup render literally, tables repeat their header, and no line begins with a
Chinese closing punctuation mark — ReportLab's own CJK wrap lets "，" begin a line, ours does not."""

from __future__ import annotations

import copy
import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import Paragraph

from crm.reports.briefing import build_briefing_pdf
from crm.reports.kinsoku import CLOSING_MARKS, KinsokuParagraph, wrapped_lines
from crm.reports.styles import report_styles
from crm.services.briefing import briefing_data
from crm.services.periods import BUSINESS_TZ

try:
    from tests import briefing_month as month_scene
except ImportError:  # pragma: no cover
    import briefing_month as month_scene

NOW = datetime(2026, 11, 6, 9, 0, tzinfo=BUSINESS_TZ)
INJECTION = '<img src="http://127.0.0.1:9/x.png"/> & <font color="red">红字</font>'
# Ten characters then "，": at a width of ten characters, a naive wrap starts the next line with "，".
COMMA_TEXT = (
    "甲乙丙丁戊己庚辛壬癸，子丑寅卯辰巳午未申酉；天地玄黄宇宙洪荒日月。盈昃辰宿列张寒来暑往！秋收冬藏闰余成岁律吕）调阳"
)


def pdf_lines(pdf: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(pdf)).pages for line in page.extract_text().splitlines()]


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture()
def briefing(session):
    month_scene.build(session)
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    pdf, pages = build_briefing_pdf(data)
    return data, pdf, pages


def test_pdf_prints_the_json_figures(briefing):
    data, pdf, pages = briefing
    text = "\n".join(pdf_lines(pdf))
    flat = squeeze(text)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == pages
    assert "西岗区商务楼宇经济月度简报" in flat and "2026年10月" in flat
    assert squeeze("生成于 2026-11-06 09:00") in flat and "内部资料" in text
    assert f"第 1 页 / 共 {pages} 页" in text
    # Page 1 says how many buildings' figures are derived, not confirmed; the appendix lists them.
    assert "2栋楼宇本月数据尚未确认" in flat and "见附录" in flat
    # Headline: leasable 2,100 m²; occupied 600 / 1,400 / 1,100; occupancy 28.6 % (↓38.1 points, ↓23.8 year on year).
    for figure in [
        "2,100m²",
        "600m²",
        "1,400m²",
        "1,100m²",
        "28.6%",
        "66.7%",
        "52.4%",
        "↓38.1个百分点",
        "↓23.8个百分点",
        "1,500m²",
        "↑800m²",
        "↓800m²",
    ]:
        assert figure in flat, figure
    # The month bridge: 1,400.00 + 200.00 − 600.00 − 400.00 + 0.00 = 600.00 m²; tenants 4 +1 −1 −1 = 3.
    for figure in [
        "变动说明（2026年10月末较上月末）",
        "上月末1,400.004",
        "新入驻+200.00+1",
        "迁出−600.00−1",
        "到期未处置−400.00−1",
        "其他0.000",
        "本月末600.003",
    ]:
        assert figure in flat, figure
    # Tax: month 35.0 万元 (↑75.0 % on September, ↑40.0 % on last October); YTD 1,055.0 vs 1,225.0 (↓13.9 %).
    for figure in ["35.0万元", "20.0万元", "25.0万元", "↑75.0%", "↑40.0%", "1,055.0万元", "1,225.0万元", "↓13.9%"]:
        assert figure in flat, figure
    # Registered: 66.7 % by count now, 75.0 % in September (↓8.3 points).
    assert "↓8.3个百分点" in flat
    # Buildings: A 100.0 % (+33.3 points), B 0.0 % (−100.0), YTD 1,050.0 and 5.0 万元.
    for figure in ["100.0%", "+33.3", "-100.0", "1,050.0", "5.0"]:
        assert figure in flat, figure
    # Tiers: A 升档 to 千万楼, B not yet at last year's 千万楼.
    assert "升档" in flat and "尚未达到上年档次" in flat
    # Pipeline: 1 new lead (100.0 万元), 1 signed (200.0), 1 landed (50.0), 3 active, weighted 180.0.
    for figure in [
        "本月新增招商项目1个（预计年税收100.0万元）",
        "本月签约1个（预计年税收200.0万元）",
        "入驻1个（预计年税收50.0万元）",
        "本年累计入驻1个，上年同期1个",
        "在谈项目2个",
        "加权180.0万元",
        "项目二有限公司",
        "项目三有限公司",
        "张专员",
    ]:
        assert figure in flat, figure
    # Watch list: c1's lease ends 2027-03-31 (150 days), c5 left the district on 2026-10-20.
    for figure in ["甲一科技有限公司", "2027-03-31", "150", "1,050.0", "乙二金融有限公司", "2026-10-20"]:
        assert figure in flat, figure
    # Appendix: definitions and the data's as-of date.
    assert (
        squeeze("入驻数据：截至 2026-10-31") in flat and "口径说明" in flat and "税收数据：最新所属期2026年10月" in flat
    )


def test_every_page_renders_with_pdftoppm(briefing, tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm not found (apt-get install poppler-utils)")
        pytest.skip("pdftoppm not found (poppler-utils)")
    _, pdf, pages = briefing
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == pages >= 3
    assert all(image.stat().st_size > 1000 for image in images)
    assert "Error" not in result.stderr


def test_the_cjk_font_is_embedded_as_truetype(briefing):
    _, pdf, _ = briefing
    embedded = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "STSong" not in str(font.get("/BaseFont"))
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(str(font["/BaseFont"]))
    assert embedded, "no embedded TrueType font (FontFile2) in the PDF"


def test_markup_in_names_renders_literally(session):
    month_scene.build(session, names={"A01": INJECTION, "c5": "<b>加粗</b>&amp;公司"})
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    pdf, _ = build_briefing_pdf(data)
    flat = squeeze("\n".join(pdf_lines(pdf)))
    assert squeeze(INJECTION) in flat
    assert "<b>加粗</b>&amp;公司" in flat
    assert b"/XObject" not in pdf  # no image was fetched and placed


def test_reportlab_alone_starts_a_line_with_a_comma_the_kinsoku_wrap_never_does():
    styles = report_styles()
    width = styles.body.fontSize * 10 + 0.5  # ten characters a line
    plain = wrapped_lines(Paragraph(COMMA_TEXT, styles.body), width)
    assert any(line[:1] in CLOSING_MARKS for line in plain), plain  # the case is really hit
    for characters in range(4, 30):
        lines = wrapped_lines(KinsokuParagraph(COMMA_TEXT, styles.body), styles.body.fontSize * characters + 0.5)
        assert "".join(lines) == COMMA_TEXT  # nothing lost or doubled
        assert not any(line[:1] in CLOSING_MARKS for line in lines), (characters, lines)
        # ... nor does an opening bracket end a line.
        assert not any(line[-1:] in "（《“" for line in lines[:-1]), lines


def test_kinsoku_keeps_numbers_and_codes_whole_and_markup_paragraphs_too():
    styles = report_styles()
    text = "<font color='#b71c1c'>月报确认：</font>鞍钢大厦（XG01）、百佳健康产业大厦（XG02），入驻率 72.3%，税收 1,234.5 万元。"
    for characters in range(6, 30):
        lines = wrapped_lines(KinsokuParagraph(text, styles.body), styles.body.fontSize * characters)
        joined = "".join(lines)
        for whole in ("XG01", "XG02", "72.3%", "1,234.5"):
            assert whole in joined and not any(whole not in line and whole[:2] in line[-2:] for line in lines), lines
        assert not any(line[:1] in CLOSING_MARKS for line in lines), lines


def test_no_line_of_the_pdf_starts_with_closing_punctuation(session):
    # Names built so that commas and brackets fall at every position of a wrapped line.
    long_name = "某某某" + "，".join("测试" * n for n in range(1, 9)) + "（集团）有限公司"
    month_scene.build(session, names={"A01": long_name, "B01": long_name[::-1], "c1": long_name, "c5": long_name[3:]})
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    pdf, _ = build_briefing_pdf(data)
    lines = [line.strip() for line in pdf_lines(pdf) if line.strip()]
    offenders = [line for line in lines if line[0] in CLOSING_MARKS]
    assert not offenders, offenders
    assert any("，" in line for line in lines)


def test_tables_repeat_their_header_and_the_chart_continues(session):
    month_scene.build(session)
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    many = copy.deepcopy(data)
    template = data["buildings"][0]
    many["buildings"] = [dict(template, code=f"X{i:03d}", name=f"测试楼宇{i}", street="香炉礁") for i in range(1, 121)]
    pdf, pages = build_briefing_pdf(many)
    reader = PdfReader(io.BytesIO(pdf))
    # Rows of the buildings table carry "香炉礁"; the chart's labels do not.
    table_pages = [p.extract_text() for p in reader.pages if "香炉礁" in p.extract_text()]
    assert len(table_pages) >= 3
    assert all("入驻率" in text and "空置面积" in squeeze(text) for text in table_pages)
    assert f"共 {pages} 页" in reader.pages[-1].extract_text()


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUMMARY_OCCUPANCY = (
    "全区入驻率28.6%，较上月下降38.1个百分点，主要因乙大厦1家企业迁出（600 m²）、1家企业租约到期未处置（400 m²）；"
    "同期甲大厦新入驻1家企业（200 m²）。"
)


def page_texts(pdf: bytes) -> list[str]:
    return [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def need_pdftoppm():
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("pdftoppm not found (apt-get install poppler-utils)")
        pytest.skip("pdftoppm not found (poppler-utils)")


def render_page(pdf: bytes, page: int, out: Path, resolution: int = 60) -> Path:
    """Page ``page`` (1-based) of ``pdf`` as ``out``.png, drawn by poppler."""
    source = out.with_suffix(".pdf")
    source.write_bytes(pdf)
    result = subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(resolution),
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(source),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    source.unlink()
    assert result.returncode == 0, result.stderr
    return out.with_suffix(".png")


def test_page_one_has_the_issue_a_worded_summary_and_only_the_count_of_unconfirmed(briefing, tmp_path):
    data, pdf, _ = briefing
    pages = page_texts(pdf)
    first = pages[0]
    assert "2026年第10期" in first and "本月综述" in first
    # The summary says what the figures mean, from the month bridge, the tax and the watch list.
    assert squeeze(SUMMARY_OCCUPANCY) in first
    assert squeeze("本年累计税收1,055.0 万元，同比下降13.9%，主要因乙大厦减少1,210.0 万元。") in first
    assert (
        squeeze("需关注：乙大厦入驻率降至0.0%（下降100.0个百分点）；2栋楼宇入驻率低于70%目标（乙大厦、丙大厦）")
        in first
    )
    assert "2栋楼宇本月数据尚未确认（其数字按现有租约推算），见附录。" in first
    assert "尚未确认的楼宇" not in first  # the list itself is not on page 1 ...
    [appendix] = [text for text in pages if "附录未确认楼宇、数据截至与口径说明" in text]
    # ... but in the appendix, in street order.
    assert "本月数据尚未确认的楼宇（2/3栋）" in appendix
    assert appendix.index("人民广场丙大厦C01") < appendix.index("白云乙大厦B01")
    need_pdftoppm()
    ARTIFACTS.mkdir(exist_ok=True)
    image = render_page(pdf, 1, ARTIFACTS / "briefing-p1", resolution=80)
    assert image.stat().st_size > 20_000


def test_bars_under_the_target_are_orange_with_a_legend(session, tmp_path):
    from PIL import Image

    month_scene.build(session)
    data = copy.deepcopy(briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW))
    # 甲 100 %, 丙 50 %, 乙 60 %: two bars under 70 %, one above.
    for row, occupancy in zip(data["buildings"], (1.0, 0.5, 0.6)):
        row["occupancy"] = occupancy
    pdf, _ = build_briefing_pdf(data)
    pages = page_texts(pdf)
    [chart_page] = [number for number, text in enumerate(pages, start=1) if "单位：%" in text]
    assert "低于70%目标" in pages[chart_page - 1] and "入驻率达到70%" in pages[chart_page - 1]
    need_pdftoppm()
    raw = Image.open(render_page(pdf, chart_page, tmp_path / "chart")).convert("RGB").tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3]))

    def near(colour):
        return sum(1 for p in pixels if all(abs(a - b) < 30 for a, b in zip(p, colour)))

    orange, blue = near((0xE6, 0x51, 0x00)), near((0x1F, 0x4E, 0x8C))
    # Two orange bars (50 and 60 long) outweigh one blue bar of 100 plus the blue title and legend.
    assert orange > 300 and blue > 300, (orange, blue)


def test_the_occupancy_chart_of_35_buildings_stays_whole_on_one_page(session):
    month_scene.build(session)
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    many = copy.deepcopy(data)
    template = data["buildings"][0]
    many["buildings"] = [
        dict(template, code=f"X{i:03d}", name=f"楼宇{i:02d}号", occupancy=i / 40) for i in range(1, 36)
    ]
    pdf, _ = build_briefing_pdf(many)
    pages = page_texts(pdf)
    chart_pages = [text for text in pages if "单位：%" in text]
    assert len(chart_pages) == 1  # one drawing, one legend: the chart is not cut in two
    assert all(f"楼宇{i:02d}号" in chart_pages[0] for i in range(1, 36))


def test_an_extra_section_is_numbered_on_and_its_sentence_joins_the_summary(session, monkeypatch):
    from crm.services import briefing as service
    from crm.services.briefing_sections import BriefingSection, SectionColumn, SectionTable

    def warnings_section(session, month, today):
        return BriefingSection(
            key="warnings",
            title="预警",
            paragraphs=[f"{month}共触发预警 1 条。"],
            tables=[
                SectionTable(
                    "本月预警",
                    [
                        SectionColumn("楼宇", weight=3),
                        SectionColumn("空置面积 m²", "area"),
                        SectionColumn("入驻率", "percent"),
                    ],
                    [["<b>甲大厦</b>", 1234.5, 0.655]],
                )
            ],
            notes=["预警规则见预警页面。"],
            summary="本月触发预警1条。",
        )

    monkeypatch.setattr(service, "EXTRA_SECTIONS", [warnings_section, lambda session, month, today: None])
    month_scene.build(session)
    data = briefing_data(session, month_scene.M, today=month_scene.TODAY, now=NOW)
    assert [s["key"] for s in data["sections"]] == ["warnings"]
    assert data["summary"][-1] == "本月触发预警1条。"
    pdf, _ = build_briefing_pdf(data)
    pages = page_texts(pdf)
    assert "本月触发预警1条。" in pages[0]
    body = "".join(pages)
    assert body.index("六、重点关注") < body.index("七、预警") < body.index("附录未确认楼宇")
    assert "<b>甲大厦</b>1,23565.5%" in body and "预警规则见预警页面。" in body
