"""Discovery and registration of a TrueType CJK font that ReportLab embeds in the PDF.

The CID font ``STSong-Light`` is never used: it is not embedded and renders blank on a reader
without the Adobe Asian font pack. Noto CJK (OpenType with CFF outlines) is refused by ReportLab,
so the candidates are TrueType fonts: Debian's fonts-wqy-microhei and fonts-droid-fallback, and
the Windows and macOS system fonts. ``CRM_PDF_FONT`` names a file to use instead
(``path.ttc#1`` picks the second face of a collection).
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

# (path, face index in a .ttc collection), most preferred first.
CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
]

MISSING_MESSAGE = (
    "找不到可嵌入 PDF 的中文字体。请安装 fonts-wqy-microhei（sudo apt-get install fonts-wqy-microhei）"
    "或 fonts-droid-fallback，或设置环境变量 CRM_PDF_FONT 指向一个 TrueType 字体文件（.ttf 或 .ttc）。"
)


class FontNotFound(RuntimeError):
    """No usable CJK TrueType font: the message (Chinese) names the package to install."""


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
    if configured or os.environ.get(ENV_VAR, "").strip():
        raise FontNotFound(f"{ENV_VAR} 指定的字体不可用（{configured or os.environ[ENV_VAR]}）：" + MISSING_MESSAGE)
    raise FontNotFound(MISSING_MESSAGE)
