"""The bounds every input path holds — forms, the JSON API, imports and the command line.

One place says which characters stored text may hold, how long a text may be (its column's
length), how large an amount or an area may be, which dates are plausible and which page numbers
exist. Forms, API handlers, import parsers and commands call these instead of keeping copies, and
each refusal is a ``DomainError`` in Chinese naming the field, never a database error or a 500.

Control characters are removed, not refused: they arrive by accident (pasted from another
program, a stray byte in a file) and nobody can see them to fix them. Tab and line break stay.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from crm.services import typed
from crm.services.errors import DomainError

# C0 and C1 controls but tab and line feed, lone surrogates (a JSON "\ud800" decodes to one) and
# the non-characters U+FFFE/U+FFFF: none can be written to XML (so to .xlsx) and PostgreSQL refuses
# NUL and surrogates.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

CENT = Decimal("0.01")
MAX_TAX = Decimal("100000000000")  # ¥100 billion: a year's (expected) tax, a month's tax, a threshold
MAX_MONEY = Decimal("99999999999999.99")  # what Numeric(16, 2) holds: registered capital
MAX_AREA = Decimal("3000000")  # m²: more than any office building (the largest in the world ~1.7 million)
MAX_NOTES = 4000  # characters of free text (notes, reasons) kept in unbounded Text columns
FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_PAGE = 100_000
MAX_PER_PAGE = 200


# ------------------------------------------------------------------------------------------
# text


def clean_text(value):
    """Text as it may be stored: line breaks as LF, and no control characters but tab and LF.

    Anything that is not a str passes unchanged, so a filter may be applied to any field.
    """
    if not isinstance(value, str) or value.isprintable():
        return value  # nearly every value: checked at C speed
    return CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


_LENGTHS: dict[int, tuple[object, int | None]] = {}


def column_length(column) -> int | None:
    """The length of a String column (``Company.name`` → 200); None for Text.

    Remembered per column: reading a mapped attribute's type goes through SQLAlchemy's proxies
    (tens of microseconds), which an import of 100,000 leads would otherwise pay three times a row.
    """
    known = _LENGTHS.get(id(column))
    if known is None or known[0] is not column:
        known = _LENGTHS[id(column)] = (column, getattr(getattr(column, "type", None), "length", None))
    return known[1]


def check_length(value: str | None, maximum: int | None, label: str, field: str) -> None:
    if value is not None and maximum is not None and len(value) > maximum:
        raise DomainError(f"{label}最多 {maximum:,} 个字，当前 {len(value):,} 个", field=field)


# ------------------------------------------------------------------------------------------
# numbers


def decimal_of(raw, label: str, field: str) -> Decimal:
    """A finite number from a form's or the API's text ("1,234.5", "１２", "1e3"); never NaN or ∞."""
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        try:  # the one reading of typed numbers (crm/services/typed.py)
            number = typed.number_of(str(raw), label)
        except typed.Unreadable as error:
            raise DomainError(error.message, field=field) from None
    if not number.is_finite():
        raise DomainError(f"{label}应为数字，当前为“{raw}”", field=field)
    return number


def shown(number: Decimal, grouping: bool = True) -> str:
    """A number as a message quotes it: 1,234.5 (1234.5) — or 1.00E+400 when typing went wrong."""
    if abs(number) < Decimal("1e15"):
        return f"{number.normalize():,f}" if grouping else f"{number.normalize():f}"
    return f"{number:.2E}"


def check_amount(
    number: Decimal,
    label: str,
    field: str,
    maximum: Decimal = MAX_TAX,
    unit: str = "元",
    minimum: Decimal = Decimal(0),
    scale: Decimal = Decimal(1),
) -> Decimal:
    """``number`` (in ``unit``, ``scale`` yuan each) within [minimum, maximum] yuan, to the cent."""
    yuan = number * scale
    if yuan < minimum:
        if minimum == 0:
            raise DomainError(f"{label}不能为负数", field=field)
        raise DomainError(f"{label}不能小于 {minimum / scale:,f} {unit}", field=field)
    if yuan > maximum:
        raise DomainError(f"{label}过大：最多 {maximum / scale:,f} {unit}", field=field)
    return yuan.quantize(CENT, ROUND_HALF_UP)


def check_area(
    number: Decimal,
    label: str,
    field: str,
    maximum: Decimal = MAX_AREA,
    minimum: Decimal = Decimal(0),
    within: str = "",
) -> Decimal:
    """An area in m² within [minimum, maximum] (``within`` names what bounds it), to 0.01 m²."""
    if number < minimum:
        raise DomainError(f"{label}不能小于 {minimum:,f} m²" if minimum else f"{label}不能为负数", field=field)
    if number > maximum:
        raise DomainError(f"{label} {shown(number)} m² 超过{within or '上限'} {maximum:,.2f} m²", field=field)
    return number.quantize(CENT, ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------
# dates and pages


def check_day(day: date | None, label: str, field: str) -> date | None:
    """A date between 1990 and 2100 (or None): earlier or later ones are typing mistakes, and a
    year like 9999 would overflow the date arithmetic of reminders and reports."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise DomainError(f"{label} {day.isoformat()} 不在 {FIRST_DAY.year} 年到 {LAST_DAY.year} 年之间", field=field)
    return day


def check_year(year: int, label: str, field: str) -> int:
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise DomainError(f"{label}应在 {FIRST_DAY.year} 年到 {LAST_DAY.year} 年之间，当前为 {year}", field=field)
    return year


def year_of(raw: str | None, field: str = "year") -> int | None:
    """A year typed as four digits (None when empty)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return None
    if not (text.isdigit() and len(text) == 4):
        raise DomainError(f"年份格式不正确：{text[:20]}，应为四位数字，例如 2026", field=field)
    return check_year(int(text), "年份", field)


def bounded_int(raw, label: str, field: str, minimum: int, maximum: int) -> int:
    """An integer from text within [minimum, maximum]: a page number, an id, a count."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise DomainError(f"{label}（{field}）应为整数", field=field)
    try:
        value = raw if isinstance(raw, int) else int(unicodedata.normalize("NFKC", raw).strip())
    except ValueError:
        raise DomainError(f"{label}（{field}）应为整数", field=field) from None
    if not minimum <= value <= maximum:
        raise DomainError(f"{label}（{field}）应为 {minimum:,} 到 {maximum:,} 之间的整数", field=field)
    return value


def page_number(raw) -> int:
    """The ``page`` of a list: 1 when absent."""
    return bounded_int(raw, "页码", "page", 1, MAX_PAGE) if raw not in (None, "") else 1


MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger one names nothing (and PostgreSQL refuses it)
MAX_QUERY = 200  # characters of a search box


class QueryReader:
    """A list's query parameters read against their bounds.

    A value outside them is dropped and noted in ``problems`` (Chinese, naming the parameter), so
    the page shows what it can and says what it ignored; ``kept`` is the query the page's own
    links (sorting, paging, export) carry on — validated values under the app's own names, never
    the raw query string.
    """

    def __init__(self, args):
        self.args = args
        self.problems: list[str] = []
        self.kept: dict[str, str] = {}

    def _raw(self, name: str) -> str:
        value = self.args.get(name)
        return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""

    def _drop(self, name: str, label: str, raw: str, why: str) -> None:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        self.problems.append(f"{label}（{name}）“{shown}”{why}，已忽略")

    def text(self, name: str, label: str, maximum: int = MAX_QUERY) -> str:
        raw = self._raw(name)
        if len(raw) > maximum:
            self._drop(name, label, raw, f"超过 {maximum} 个字")
            return ""
        if raw:
            self.kept[name] = raw
        return raw

    def choice(self, name: str, label: str, allowed) -> str:
        raw = self._raw(name)
        if raw and raw not in allowed:
            self._drop(name, label, raw, "不是可选的值")
            return ""
        if raw:
            self.kept[name] = raw
        return raw

    def id(self, name: str, label: str) -> int | None:
        raw = self._raw(name)
        if not raw:
            return None
        if not raw.isdecimal() or not 1 <= int(raw) <= MAX_ID:
            self._drop(name, label, raw, "不是有效的编号")
            return None
        self.kept[name] = str(int(raw))
        return int(raw)

    def ids(self, name: str) -> list[int]:
        """Every valid id among the values of ``name`` (ticked checkboxes carried in a link)."""
        values = self.args.getlist(name) if hasattr(self.args, "getlist") else [self.args.get(name)]
        return [int(v) for v in values if isinstance(v, str) and v.isdecimal() and 1 <= int(v) <= MAX_ID]

    def keep(self, name: str, value) -> None:
        """Carry a value read elsewhere (the month, the sort order) on the page's links."""
        if value not in (None, ""):
            self.kept[name] = str(value)
