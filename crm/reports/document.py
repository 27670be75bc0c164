"""The page frame of every report: A4, "内部资料" marking, generated-at time, "第 N 页 / 共 M 页".

``build_pdf`` renders a story (a list of flowables) to bytes; the page count in the footer needs
the whole document laid out first, so the canvas defers its pages and stamps them at the end.

Streams (pages, fonts, photos) are written as binary, not ASCII85 text: a PDF needs no 7-bit
encoding, and ReportLab's pure-Python encoder took over a second for the photos of one
对外招商版 (and made the file a quarter larger).
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import SimpleDocTemplate

from crm.reports.styles import MUTED, RED

rl_config.useA85 = 0  # read by ReportLab whenever it writes a stream

MARGIN = 14 * mm
MARKING = "内部资料"
ISSUER = "西岗区商务局"


def _numbered_canvas(font: str, footer_left: str, marking: str, pages: list | None = None):
    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            if pages is not None:
                pages.append(total)
            for state in self._pages:
                self.__dict__.update(state)
                self._frame(total)
                super().showPage()
            super().save()

        def _frame(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(font, 9)
            self.setFillColor(RED)
            self.drawRightString(width - MARGIN, height - MARGIN + 12, marking)
            self.setFont(font, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, MARGIN - 16, footer_left)
            self.drawRightString(width - MARGIN, MARGIN - 16, f"第 {self._pageNumber} 页 / 共 {total} 页")
            self.restoreState()

    return NumberedCanvas


def build_pdf(
    story: list, *, title: str, font: str, generated_at: datetime, orientation: str = "portrait", marking: str = MARKING
) -> bytes:
    """Render ``story`` on A4 and return the PDF bytes."""
    return build_pdf_counted(
        story, title=title, font=font, generated_at=generated_at, orientation=orientation, marking=marking
    )[0]


def build_pdf_counted(
    story: list, *, title: str, font: str, generated_at: datetime, orientation: str = "portrait", marking: str = MARKING
) -> tuple[bytes, int]:
    """``build_pdf`` that also returns the number of pages (for an archive listing)."""
    pages: list[int] = []
    pagesize = landscape(A4) if orientation == "landscape" else A4
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        title=title,
        author=ISSUER,
        subject=marking,
        creator="楼宇招商通",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4,
        bottomMargin=MARGIN,
    )
    footer = f"{ISSUER} · 楼宇招商通 · 生成于 {generated_at:%Y-%m-%d %H:%M}"
    doc.build(story, canvasmaker=_numbered_canvas(font, footer, marking, pages))
    return buffer.getvalue(), pages[-1]


def usable_height(orientation: str = "portrait") -> float:
    """The height of a page's frame: what one flowable (a chart) can take at most."""
    pagesize = landscape(A4) if orientation == "landscape" else A4
    return pagesize[1] - (MARGIN + 4) - MARGIN - 12  # the frame pads 6 points above and below


def usable_width(orientation: str = "portrait") -> float:
    pagesize = landscape(A4) if orientation == "landscape" else A4
    return pagesize[0] - 2 * MARGIN
