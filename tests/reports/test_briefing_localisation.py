"""The briefing's 属地化 section: the figures of the data's ``localisation`` part and its top
targets, printed as the PDF reader sees them."""
from __future__ import annotations

import io
from datetime import date, datetime

from pypdf import PdfReader

from crm.reports.briefing_localisation import localisation_section
from crm.reports.document import build_pdf_counted, usable_width
from crm.reports.styles import report_styles
from crm.services.localisation import briefing_part
from tests.services.test_localisation import world  # noqa: F401  (the fixture)


def test_the_section_prints_the_figures_and_the_top_targets(session, world):  # noqa: F811
    data = {"month_label": "2026年11月", "localisation": briefing_part(session, "2026-11", date(2026, 12, 3))}
    styles = report_styles()
    story = localisation_section(data, styles, usable_width("portrait"))
    pdf, pages = build_pdf_counted(story, title="测试", font=styles.font, generated_at=datetime(2026, 12, 3, 9, 0))
    printed = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert pages == 1
    assert "属地注册率按企业数75.0%（3/4家），按面积58.3%" in printed  # 140 of 240 m²
    assert "入驻不注册的企业1家待办，税收影响约7.5万元" in printed
    assert "注册不入驻2家待核实" in printed  # D and E, registered at XG02, both moved out by the 30th
    assert "甲测试大厦XG01八一路100商务服务—7.5待核实" in printed
    assert localisation_section({"month_label": "x"}, styles, 400) == []
