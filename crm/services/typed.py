"""Numbers and dates as people type them, read one way by forms, the API and imports.

A number may carry thousands separators (1,200.5 or 1，200.5 from a Chinese input method),
full-width digits (１２００), spaces, and a unit people add out of habit (¥, 元, m², ㎡, 平方米).
A date may be written 2026-11-28, 2026/11/28, 2026.11.28, 2026年11月28日 (full-width digits
too) or 20261128. Anything else is refused with a Chinese message that names the field and,
for a date, shows the expected format. ``Unreadable`` is a ValueError, so a WTForms field that
raises it shows the message beside the field; the import parsers turn it into a cell error.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
DATE_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
PLAIN_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
# What may surround or split a number without changing it: separators, spaces, units.
NUMBER_NOISE_RE = re.compile(r"[,\s¥￥元]|m²|㎡|平方米|m2$")
DATE_FORMAT_HINT = "2026-11-28"
DATE_FORMATS = "也可写 2026/11/28、2026.11.28 或 2026年11月28日"


class Unreadable(ValueError):
    """Text that is not a number or a date; ``message`` is the Chinese reason naming the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def narrow(raw: str) -> str:
    """Full-width digits, commas and full stops as ASCII (what a Chinese IME types), trimmed."""
    raw = raw.strip()
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()


def number_of(raw: str, label: str = "数值") -> Decimal:
    """A finite Decimal from typed text: "1,200.5", "1，200.5", "１２００", "¥ 3,000 元"."""
    text = narrow(str(raw))
    if PLAIN_NUMBER_RE.match(text):
        return Decimal(text)
    cleaned = NUMBER_NOISE_RE.sub("", text)
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise Unreadable(f"{label}应为数字，当前为“{shorten(text)}”") from None
    if not number.is_finite() or not cleaned:
        raise Unreadable(f"{label}应为数字，当前为“{shorten(text)}”")
    return number


def whole_number_of(raw: str, label: str = "数值") -> int:
    """An integer from typed text ("1,200", "１２"); a fraction is refused, not rounded."""
    number = number_of(raw, label)
    if number != number.to_integral_value():
        raise Unreadable(f"{label}应为整数，当前为“{shorten(narrow(str(raw)))}”")
    return int(number)


def day_of(raw: str, label: str = "日期") -> date:
    """A date from typed text in any of the accepted ways (see the module docstring)."""
    text = narrow(str(raw))
    match = DATE_RE.match(text) or DATE_COMPACT_RE.match(text)
    if not match:
        raise Unreadable(f"请按 {DATE_FORMAT_HINT} 的格式填写{label}（{DATE_FORMATS}），当前为“{shorten(text)}”")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Unreadable(f"{label}“{shorten(text)}”不存在，请核对年月日") from None


def shorten(text: str, limit: int = 30) -> str:
    """Typed text quoted in a message, cut so that a pasted paragraph does not fill the page."""
    return text if len(text) <= limit else text[:limit] + "…"
