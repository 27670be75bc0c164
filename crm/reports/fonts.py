"""Registration of the TrueType CJK font that ReportLab embeds in every PDF.

The product ships its font, WenQuanYi Micro Hei (Apache-2.0, licence beside it in
``crm/data/fonts``), so PDFs work on a machine with no CJK font installed. The CID font
``STSong-Light`` is never used: it is not embedded and renders blank on a reader without the
Adobe Asian font pack; Noto CJK (OpenType with CFF outlines) is refused by ReportLab.
``CRM_PDF_FONT`` names another TrueType file to use instead (``path.ttc#1`` picks the second face
of a collection).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger("crm.reports")

FONT_NAME = "CJK"
ENV_VAR = "CRM_PDF_FONT"

SHIPPED_FONT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "fonts", "wqy-microhei.ttc")

# (path, face index in a .ttc collection), most preferred first.
CANDIDATES: list[tuple[str, int]] = [(SHIPPED_FONT, 0)]

# Shown to whoever asked for the PDF; what went wrong for the operator goes to the log.
MISSING_MESSAGE = "PDF 暂时无法生成：报表字体不可用。请联系系统管理员。"


class FontNotFound(RuntimeError):
    """No usable CJK TrueType font; the message (Chinese) is fit to show to any user."""


@dataclass(frozen=True)
class RegisteredFont:
    name: str
    path: str
    index: int


_registered: RegisteredFont | None = None


def parse_font_setting(value: str) -> tuple[str, int]:
    """``/path/font.ttc#1`` → (path, 1); a plain path is face 0."""
    path, _, index = value.partition("#")
    return path.strip(), int(index) if index.strip().isdigit() else 0


def candidate_fonts(configured: str | None = None) -> list[tuple[str, int]]:
    configured = configured if configured is not None else os.environ.get(ENV_VAR, "")
    if configured.strip():
        # A configured font is the only candidate: silently falling back would hide a typo.
        return [parse_font_setting(configured)]
    return list(CANDIDATES)


def _load(path: str, index: int) -> TTFont | None:
    if not os.path.isfile(path):
        return None
    try:
        return TTFont(FONT_NAME, path, subfontIndex=index)
    except (TTFError, OSError, ValueError, IndexError) as error:
        log.warning("font %s#%d unusable: %s", path, index, error)
        return None


def register_cjk_font(configured: str | None = None) -> RegisteredFont:
    """Register (once per process) and return the CJK font every report uses."""
    global _registered
    if _registered is not None and configured is None:
        return _registered
    for path, index in candidate_fonts(configured):
        font = _load(path, index)
        if font is not None:
            pdfmetrics.registerFont(font)
            registered = RegisteredFont(FONT_NAME, path, index)
            if configured is None:
                _registered = registered
            return registered
    log.error("no usable PDF font: %s", ", ".join(f"{path}#{index}" for path, index in candidate_fonts(configured)))
    raise FontNotFound(MISSING_MESSAGE)
