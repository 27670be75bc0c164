"""Cell parsers: the ways people type dates, months, amounts, areas and yes/no in a spreadsheet.

Each parser takes the raw cell (calamine gives str, float, int, bool, date or datetime; CSV gives
str) and returns the value or raises ``CellError`` with a Chinese reason. An empty cell is None
before a parser sees it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crm.services import bounds
from crm.services import periods as P
from crm.services import typed
from crm.services.errors import DomainError

CENT = Decimal("0.01")
# The bounds every input path shares (crm/services/bounds.py): tax-like amounts up to ¥100
# billion, other money up to what Numeric(16, 2) holds, areas, integers 32-bit, dates 1990–2100.
# A larger cell is an error with a message, never a database failure.
MAX_TAX = bounds.MAX_TAX
MAX_AMOUNT = bounds.MAX_MONEY
MAX_AREA = bounds.MAX_AREA
MAX_INTEGER = 2**31 - 1
EXCEL_EPOCH = date(1899, 12, 30)
# Characters that make a spreadsheet treat a cell as a formula; exports prefix them with ' .
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

PERIOD_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
PERIOD_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})$")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "无"}


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is the Chinese reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, max_length: int | None = None) -> str:
    if value.__class__ is str and value.isprintable():
        # Nearly every cell: nothing to convert or clean (checked at C speed); ASCII needs no
        # normalising either — what is skipped here matters at 100,000 rows.
        result = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed as a number arrives as 101.0
        if isinstance(value, bool):
            value = "是" if value else "否"
        result = bounds.clean_text(str(value))
        result = (result if result.isascii() else unicodedata.normalize("NFC", result)).strip()
    if len(result) > 1 and result[0] == "'" and result[1] in FORMULA_START:
        result = result[1:]  # undo the export's formula escape, so a round trip is exact
    if max_length is not None and len(result) > max_length:
        raise CellError(f"内容过长：最多 {max_length} 个字符，当前 {len(result)} 个")
    return result


def narrow(value) -> str:
    """Text with full-width digits and punctuation turned into ASCII (what a Chinese IME types)."""
    raw = text(value)
    return raw if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()


def decimal_number(value, what: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"{what}应为数字，当前为“{text(value)}”")
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():  # a NaN or infinite float cell
            raise CellError(f"{what}应为数字，当前为“{value}”")
        return number
    try:  # typed text is read as forms read it (crm/services/typed.py)
        return typed.number_of(text(value), what)
    except typed.Unreadable as error:
        raise CellError(error.message) from None


def _cents(number: Decimal, what: str, maximum: Decimal) -> Decimal:
    if number > maximum:
        raise CellError(f"{what}过大：{bounds.shown(number)}，最大为 {bounds.shown(maximum)}")
    return number.quantize(CENT, ROUND_HALF_UP)


def positive_amount(value, what: str = "金额", scale: Decimal = Decimal(1), maximum: Decimal = MAX_TAX) -> Decimal:
    number = decimal_number(value, what) * scale
    if number <= 0:
        raise CellError(f"{what}必须大于 0，当前为 {bounds.shown(number, grouping=False)}")
    return _cents(number, what, maximum)


def nonnegative_amount(value, what: str = "金额", scale: Decimal = Decimal(1), maximum: Decimal = MAX_TAX) -> Decimal:
    number = decimal_number(value, what) * scale
    if number < 0:
        raise CellError(f"{what}不能为负数，当前为 {bounds.shown(number, grouping=False)}")
    return _cents(number, what, maximum)


def integer(value, what: str, minimum: int | None = None, suffixes: str = "") -> int:
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"{what}应为整数，当前为 {value}")
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raw = narrow(value)
        try:
            number = typed.whole_number_of(raw.rstrip(suffixes) if suffixes else raw, what)
        except typed.Unreadable:
            raise CellError(f"{what}应为整数，当前为“{raw}”") from None
    if minimum is not None and number < minimum:
        raise CellError(f"{what}不能小于 {minimum}，当前为 {number}")
    if abs(number) > MAX_INTEGER:
        raise CellError(f"{what}过大：{number}")
    return number


def day(value) -> date:
    """Excel date, 2026-10-31, 2026/10/31, 2026.10.31, 2026年10月31日 or 20261031."""
    return within_years(_day(value))


def within_years(result: date) -> date:
    try:
        return bounds.check_day(result, "日期", "date")
    except DomainError as error:
        raise CellError(error.message) from None


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466 and float(value).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(value))  # a date cell formatted as a number
        raise CellError(f"日期格式不正确：{value}")
    try:  # typed text is read as forms read it (crm/services/typed.py)
        return typed.day_of(text(value))
    except typed.Unreadable as error:
        raise CellError(error.message) from None


def period(value, today: date) -> str:
    """A month YYYY-MM (also 2026/10, 2026年10月, 202610 or an Excel date); not after this month."""
    if isinstance(value, (date, datetime)):
        year, month = value.year, value.month
    else:
        raw = text(value) if isinstance(value, (int, float)) else narrow(value)
        match = PERIOD_RE.match(raw) or PERIOD_COMPACT_RE.match(raw)
        if not match:
            raise CellError(f"所属期格式不正确：“{raw}”，应为 YYYY-MM，例如 2026-10")
        year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not bounds.FIRST_DAY.year <= year <= bounds.LAST_DAY.year:
        raise CellError(f"所属期不存在：{year}-{month:02d}")
    result = f"{year:04d}-{month:02d}"
    if result > P.period_of(today):
        raise CellError(f"所属期 {result} 尚未到来（本月为 {P.period_of(today)}），不能导入未来月份的数据")
    return result


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = narrow(value).lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise CellError(f"应填“是”或“否”，当前为“{text(value)}”")


def choice(value, options: dict[str, str], what: str) -> str:
    """A controlled value typed as its Chinese label or its code; returns the code."""
    raw = text(value)
    for code, label in options.items():
        if raw == label or raw.lower() == code.lower():
            return code
    allowed = "、".join(options.values())
    raise CellError(f"{what}“{raw}”不在可选范围内，可选：{allowed}")
