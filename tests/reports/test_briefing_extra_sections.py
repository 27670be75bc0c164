"""The sections other domains add to the monthly briefing, end to end: in a small world with
属地化 targets and warnings, the briefing's JSON holds them under ``sections`` and the PDF prints
them numbered on after the fixed ones — 七、属地化 and 八、预警处置 — with their figures, and their
sentences join page 1's 本月综述."""

from __future__ import annotations

import io
from datetime import date, datetime

from pypdf import PdfReader

from crm.reports.briefing import build_briefing_pdf
from crm.services.briefing import briefing_data
from crm.services.periods import BUSINESS_TZ
from tests.services.test_localisation import world  # noqa: F401  (the fixture)
from tests.warnings.test_briefing_section import add

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=BUSINESS_TZ)


def test_the_briefing_prints_the_localisation_and_warnings_sections(session, world):  # noqa: F811
    add(session, world["x1"], 1, "tax_drop", "2026-11-03", tax=5_000_000)
    add(session, world["x1"], 2, "occupancy_drop", "2026-11-05", "resolved", "2026-11-20", tax=1_000_000)
    add(session, world["x2"], 3, "unconfirmed", "2026-10-10", "auto_resolved", "2026-11-02")
    add(session, world["x2"], 4, "outflow", "2026-12-01", tax=9_000_000)  # December's: not in November's
    session.flush()

    data = briefing_data(session, "2026-11", today=TODAY, now=NOW)
    assert [s["key"] for s in data["sections"]] == ["localisation", "warnings"]
    assert "localisation" not in data  # the section holds it

    pdf, _ = build_briefing_pdf(data)
    pages = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    body = "".join(pages)
    assert (
        body.index("六、重点关注")
        < body.index("七、属地化（入驻不注册）")
        < body.index("八、预警处置")
        < body.index("附录未确认楼宇")
    )
    localisation = body[body.index("七、属地化") : body.index("八、预警处置")]
    assert "属地注册率按企业数75.0%（3/4家），按面积58.3%" in localisation  # 140 of 240 m²
    assert "入驻不注册的企业1家待办，税收影响约7.5万元" in localisation  # A: 100 m² × 750.00 /m²
    assert "注册不入驻2家待核实" in localisation  # D and E, registered at XG02, both moved out by the 30th
    assert "25/1226/01" in localisation and "26/1026/11按企业数50.0%" in localisation  # twelve months
    assert "50.0%75.0%按面积24.7%" in localisation and "24.7%58.3%税收影响" in localisation  # October, November
    assert "甲测试大厦XG01八一路100商务服务—7.5待核实" in localisation
    warnings = body[body.index("八、预警处置") : body.index("附录未确认楼宇")]
    assert (
        "本月新增预警2条（大户税收下滑1条，入驻率下滑1条）；本月已解除1条、自动解除1条；月末仍未解除1条。" in warnings
    )
    assert "预警1<号>大户税收下滑测试大厦XG01—待处置500.0" in warnings
    # Page 1's 本月综述 ends with the two sections' sentences.
    assert (
        "属地注册率按企业数75.0%（较上月上升25.0个百分点）、按面积58.3%；入驻不注册企业1家待办，税收影响约7.5万元（估算）。"
        in pages[0]
    )
    assert (
        "本月新增预警2条，解除2条（其中自动解除1条），月末仍有1条未解除，涉及税收最多的是“预警1<号>”（500.0万元）。"
        in pages[0]
    )
