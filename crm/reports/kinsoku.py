"""Line breaking for Chinese text that follows the typesetting rule (禁则, kinsoku): no line may
begin with a closing punctuation mark (，。、；：？！）》” …) and none may end with an opening one.

ReportLab's CJK wrap (``wordWrap="CJK"``) breaks between any two characters and only knows a
short list of marks that may not start a line — "，" and "；" are not on it, so a paragraph
happily starts a line with "，". ``KinsokuParagraph`` is a Paragraph whose CJK wrap instead
moves the character before such a mark down to the next line together with it (追い出し), and
keeps a number or a Latin word ("1,234.5", "XG01") whole when it fits on a line.
"""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import ParaLines, _handleBulletWidth, cjkU, makeCJKParaLine
from reportlab.rl_config import _FUZZ

# GB/T 15834 and JIS X 4051: marks that close something or end a clause, and ReportLab's own list.
CANNOT_START = frozenset(
    "，。、；：？！…‥）》〉」』】〕〗］｝”’％‰℃·～ー"
    ",.;:?!)]}%"
    "\u3001\u3002\u300d\u300f\u3011\u3015\uff3d\uff09\u3005\u2015\u309b\u309c\u30fb\u30fd\u30fe\u309d\u309e"
    "\u2010\u00b0\u2032\u2033\u2103\uffe0\uff05\u2030"
)
CLOSING_MARKS = frozenset("，。、；：？！…）》〉」』】〕〗］｝”’％")  # the Chinese ones, for tests and checks
CANNOT_END = frozenset("（《〈「『【〔〖［｛“‘([{¥￥$#")
WORD_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,%+-_/")


def _in_word(ch: str) -> bool:
    return len(ch) == 1 and ch in WORD_CHARS


def break_before(chars, start: int, overflow: int) -> int:
    """Where the line that began at ``start`` ends when character ``overflow`` no longer fits:
    the index of the first character of the next line, always > ``start``.

    Moving the break back for one rule can break another ("（XG01）" pushed back from "）" lands
    inside "XG01"), so both rules apply until neither moves it.
    """
    end = overflow
    while True:
        moved = end
        if _in_word(chars[end]) and _in_word(chars[end - 1]):
            word_start = end
            while word_start > start and _in_word(chars[word_start - 1]):
                word_start -= 1
            if word_start > start:
                end = word_start  # the number or word moves down whole
        while end - 1 > start and (chars[end] in CANNOT_START or chars[end - 1] in CANNOT_END):
            end -= 1  # the preceding character goes down with the closing mark
        if end == moved:
            return end


def break_lines(chars, widths, max_widths, forced=frozenset()) -> list[tuple[int, int, float, bool]]:
    """Greedy line breaking with kinsoku: (start, end, width used, forced break) per line.

    ``chars`` and ``widths`` are per glyph; ``forced`` holds indexes of glyphs that end a line
    (``<br/>``). Spaces at the start of a wrapped line are dropped.
    """
    lines: list[tuple[int, int, float, bool]] = []
    count = len(chars)
    start = i = 0
    used = 0.0
    while i < count:
        used += widths[i]
        limit = max_widths[min(len(lines), len(max_widths) - 1)]
        if i in forced:
            lines.append((start, i + 1, used, True))
            start = i = i + 1
            used = 0.0
            continue
        if used > limit + _FUZZ and i > start:
            end = break_before(chars, start, i)
            lines.append((start, end, sum(widths[start:end]), False))
            start = end
            while start < count and chars[start] == " " and start not in forced:
                start += 1
            i, used = start, 0.0
            continue
        i += 1
    if start < count:
        lines.append((start, count, sum(widths[start:count]), False))
    return lines


class KinsokuParagraph(Paragraph):
    """A Paragraph whose CJK line breaking never starts a line with a closing mark."""

    def breakLinesCJK(self, maxWidths):
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        style = self.style
        self.height = 0
        _handleBulletWidth(self.bulletText, style, maxWidths)
        frags = self.frags
        if hasattr(self, "blPara") and getattr(self, "_splitpara", 0):
            return self.blPara  # the second half of a split paragraph keeps its lines
        if not frags:
            return ParaLines(
                kind=0,
                fontSize=style.fontSize,
                fontName=style.fontName,
                textColor=style.textColor,
                lines=[],
                ascent=style.fontSize,
                descent=-0.2 * style.fontSize,
            )
        if len(frags) == 1 and not hasattr(frags[0], "cbDefn") and not style.endDots:
            return self._single_frag_lines(frags[0], maxWidths)
        autoLeading = getattr(self, "autoLeading", getattr(style, "autoLeading", ""))
        return self._frag_lines(frags, maxWidths, autoLeading not in ("", "off"))

    @staticmethod
    def _single_frag_lines(frag, maxWidths):
        text = frag.text if hasattr(frag, "text") else "".join(getattr(frag, "words", []))
        widths = [stringWidth(ch, frag.fontName, frag.fontSize) for ch in text]
        lines = []
        for number, (start, end, used, _) in enumerate(break_lines(text, widths, maxWidths)):
            width = maxWidths[min(number, len(maxWidths) - 1)]
            lines.append((width - used, [text[start:end]]))
        return frag.clone(kind=0, lines=lines, ascent=frag.fontSize, descent=-0.2 * frag.fontSize)

    @staticmethod
    def _frag_lines(frags, maxWidths, calcBounds):
        glyphs = []
        for frag in frags:
            text = frag.text.decode("utf8") if isinstance(frag.text, bytes) else frag.text
            if text:
                glyphs.extend(cjkU(ch, frag, "utf8") for ch in text)
            else:
                glyphs.append(cjkU(text, frag, "utf8"))
        widths = []
        for glyph in glyphs:
            width = glyph.width
            if hasattr(width, "normalizedValue"):  # a width given in % of the line (images)
                width._normalizer = maxWidths[0]
                width = width.normalizedValue(maxWidths[0])
            widths.append(width)
        forced = frozenset(i for i, glyph in enumerate(glyphs) if hasattr(glyph.frag, "lineBreak"))
        lines = []
        for number, (start, end, used, is_break) in enumerate(break_lines(glyphs, widths, maxWidths, forced)):
            width = maxWidths[min(number, len(maxWidths) - 1)]
            lines.append(makeCJKParaLine(glyphs[start:end], width, used, width - used, is_break, calcBounds))
        return ParaLines(kind=1, lines=lines)


def wrapped_lines(paragraph: Paragraph, width: float) -> list[str]:
    """The text of each line ``paragraph`` is broken into at ``width`` points."""
    paragraph.wrap(width, 10_000)
    result = []
    for line in paragraph.blPara.lines:
        if paragraph.blPara.kind == 0:
            result.append("".join(line[1]))
        else:
            result.append("".join(getattr(word, "text", "") for word in line.words))
    return result
