"""No page, PDF or chart prints an amount of ¥100 m or more in 万元 (DESIGN.md: 亿元 with two
decimals from ¥100 m). On the scale-1 demo, whose district and 亿元楼 totals pass ¥100 m, every
page with amounts — dashboard, tax pages, reports, buildings (each building's page and tax tab) —
and the text of the briefing and the candidate PDF are scanned for a 万元 amount of 10,000.0 or
more: a one-decimal number of five integer digits (the 万元 cell of a table or a chart's data),
or any number of five integer digits written with 万元."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from pypdf import PdfReader

from crm.models import Building
from crm.reports.briefing import build_briefing_pdf
from crm.services.briefing import briefing_data
from crm.services.periods import BUSINESS_TZ

TODAY = date(2026, 11, 15)
FIVE_DIGITS = r"(?<![\d.,])(?:\d{2,3}(?:,\d{3})+|\d(?:,\d{3}){2,}|\d{5,})"  # 10,000 and up
WAN_CELL = re.compile(FIVE_DIGITS + r"\.\d(?!\d)")  # 12,345.6 — how a 万元 column prints
WAN_TEXT = re.compile(FIVE_DIGITS + r"(?:\.\d+)?\s*万元?")  # 12,345 万元 / 12345.6万


def offending(text: str) -> list[str]:
    return sorted({m.group(0) for pattern in (WAN_CELL, WAN_TEXT) for m in pattern.finditer(text)})


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_scanner_sees_what_it_looks_for():
    assert offending("预计年税收 75,839.1 万元") == ["75,839.1", "75,839.1 万元"]
    assert offending("<td>10,200.0</td> 1,234.5 9,999.9 7.58 亿元 2,100 m² 38,333 元 1,234,567.8") == [
        "1,234,567.8",
        "10,200.0",
    ]
    assert offending('"values": [31234.5, 20.0]') == ["31234.5"]


def test_no_amount_of_100_million_prints_in_wan(app, session, client):
    from crm.demo import load_demo

    load_demo(session, scale=1, as_of="2026-11", password="pw-for-tests-123")
    session.commit()
    client.post("/login", data={"username": "leader", "password": "pw-for-tests-123"})
    codes = list(session.scalars(Building.__table__.select().with_only_columns(Building.code).order_by(Building.code)))
    paths = [
        "/",
        "/?month=2026-10",
        "/?month=2025-12",
        "/tax",
        "/tax?year=2026",
        "/tax?year=2024",
        "/buildings",
        "/buildings?month=2025-12",
        "/reports",
        "/reports?year=2025",
        "/reports?year=2024",
    ]
    paths += [f"/buildings/{code}" for code in codes] + [f"/buildings/{code}/tax" for code in codes]
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if bad := offending(response.get_data(as_text=True)):
            found[path] = bad
    # The demo does reach ¥100 m: the district's year to date and its 亿元楼 print in 亿元.
    assert "亿元" in client.get("/").get_data(as_text=True)

    briefing = pdf_text(
        build_briefing_pdf(
            briefing_data(session, "2026-10", today=TODAY, now=datetime(2026, 11, 6, 9, tzinfo=BUSINESS_TZ))
        )[0]
    )
    if bad := offending(briefing):
        found["briefing 2026-10"] = bad
    assert "亿元" in briefing
    for query in ("year=2026", "year=2025"):
        response = client.get(f"/reports/candidates.pdf?{query}")
        assert response.status_code == 200
        if bad := offending(pdf_text(response.data)):
            found[f"candidates.pdf?{query}"] = bad
    assert found == {}
