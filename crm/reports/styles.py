"""Paragraph styles of every report, in the embedded CJK font."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle

from crm.reports.fonts import register_cjk_font

INK = colors.HexColor("#212529")
MUTED = colors.HexColor("#6c757d")
ACCENT = colors.HexColor("#1f4e8c")
RED = colors.HexColor("#b71c1c")
HEADER_BG = colors.HexColor("#eef2f7")
GRID = colors.HexColor("#ced4da")


@dataclass(frozen=True)
class Styles:
    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_number: ParagraphStyle
    cell_header: ParagraphStyle


def report_styles() -> Styles:
    font = register_cjk_font().name

    def style(name, size, leading=None, **kw) -> ParagraphStyle:
        # CJK text has no spaces: wordWrap="CJK" lets lines break between any two characters.
        return ParagraphStyle(
            name,
            fontName=font,
            fontSize=size,
            leading=leading or size * 1.35,
            textColor=kw.pop("textColor", INK),
            wordWrap="CJK",
            **kw,
        )

    return Styles(
        font=font,
        title=style("title", 16, alignment=TA_CENTER, spaceAfter=4, textColor=ACCENT),
        subtitle=style("subtitle", 9.5, alignment=TA_CENTER, spaceAfter=8, textColor=MUTED),
        heading=style("heading", 11.5, spaceBefore=8, spaceAfter=4, textColor=ACCENT),
        body=style("body", 9, alignment=TA_LEFT, spaceAfter=3),
        note=style("note", 8, textColor=MUTED, spaceAfter=2),
        cell=style("cell", 7.5, leading=9.5),
        cell_number=style("cell_number", 7.5, leading=9.5, alignment=TA_RIGHT),
        cell_header=style("cell_header", 7.5, leading=9.5, alignment=TA_CENTER),
    )
