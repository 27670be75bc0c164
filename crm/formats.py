"""How numbers read (DESIGN.md), for pages, PDFs and messages alike: money in 万元 with one
decimal (亿元 with two from ¥100 m), areas in m² with thousands separators, percentages with one
decimal, a partial year labelled with its months.

Every figure is rounded half-up (四舍五入), as Chinese readers expect: Python's ``round`` and
``format`` round half to even, so 0.05 万元 would print 0.0. Exact amounts (yuan, m²) stay in
JSON and exports; only what is printed is rounded here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal("10000")
YI = Decimal("100000000")
DASH = "—"


def half_up(value, places: int) -> Decimal:
    """``value`` rounded half-up to ``places`` decimals (a float through its shortest repr,
    so 0.7235 is 0.7235 and not the binary number just below it); −0 becomes 0."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded if rounded else abs(rounded)


def _grouped(value, places: int) -> str:
    return f"{half_up(value, places):,.{places}f}"


def in_yi(value) -> bool:
    """Whether an amount (yuan) prints in 亿元: from ¥100 m, judged after rounding to 0.1 万元 so
    that 99,999,999.99 does not print as 10,000.0 万元."""
    return abs(half_up(Decimal(str(value)) / WAN, 1)) >= YI / WAN


def wan(value) -> str:
    """Yuan for a column headed 万元: 18,234.5 — or 7.58 亿元 (with its unit) from ¥100 m."""
    if value is None:
        return DASH
    value = Decimal(str(value))
    if in_yi(value):
        return f"{_grouped(value / YI, 2)} 亿元"
    return _grouped(value / WAN, 1)


def money(value) -> str:
    """Yuan for prose: 亿元 with two decimals from ¥100 m, else 万元 with one."""
    if value is None:
        return DASH
    value = Decimal(str(value))
    return f"{_grouped(value / YI, 2)} 亿元" if in_yi(value) else f"{_grouped(value / WAN, 1)} 万元"


def area(value) -> str:
    return DASH if value is None else _grouped(value, 0)


def area_exact(value) -> str:
    return DASH if value is None else _grouped(value, 2)


def yuan(value) -> str:
    return DASH if value is None else _grouped(value, 0)


def count(value) -> str:
    return DASH if value is None else f"{value:,}"


def percent(value) -> str:
    """A fraction as a percentage with one decimal, unsigned: 72.3%."""
    return DASH if value is None else f"{half_up(Decimal(str(value)) * 100, 1)}%"


def signed_percent(value) -> str:
    """A fraction as a signed percentage with one decimal: +12.3%."""
    return DASH if value is None else f"{half_up(Decimal(str(value)) * 100, 1):+}%"


def points(value) -> str:
    """A change in percentage points with one decimal and its sign: +1.2 / −3.4 (0.0 unsigned)."""
    if value is None:
        return DASH
    rounded = half_up(value, 1)
    return "0.0" if rounded == 0 else f"{rounded:+}"


def signed_area(value) -> str:
    """A change of area in m² to the hundredth, always signed: +1,234.56 / −80.00 (0 as 0.00), so
    the lines of a month bridge add up exactly as printed."""
    if value is None:
        return DASH
    value = Decimal(str(value))
    if value == 0:
        return "0.00"
    return f"{'+' if value > 0 else '−'}{abs(value):,.2f}"


def signed_count(value) -> str:
    """A change of a count, always signed: +3 / −2 (0 unsigned)."""
    if value is None:
        return DASH
    return "0" if value == 0 else f"{'+' if value > 0 else '−'}{abs(value):,}"


def one_decimal(value) -> str:
    """A plain number (a size of change, a chart value) with one decimal, half-up."""
    return _grouped(value, 1)


def chart_unit(values) -> str:
    """The unit a chart of these amounts (yuan) reads: 亿元 when any reaches ¥100 m, so that no
    axis or tooltip prints 10,000 万元 or more; else 万元."""
    return "亿元" if any(in_yi(v or 0) for v in values) else "万元"


def in_unit(values, unit: str) -> list[float]:
    """Amounts (yuan) as chart numbers in ``unit``: 亿元 with two decimals, 万元 with one."""
    divisor, places = (YI, 2) if unit == "亿元" else (WAN, 1)
    return [float(half_up(Decimal(str(v or 0)) / divisor, places)) for v in values]


def chart_percent(fraction) -> float:
    """A fraction as a chart's percentage with one decimal (0 for none)."""
    return float(half_up(Decimal(str(fraction or 0)) * 100, 1))


def chart_amounts(values) -> tuple[list[float], str]:
    """One series of amounts (yuan) as chart numbers, and the unit they are in."""
    values = list(values)
    unit = chart_unit(values)
    return in_unit(values, unit), unit


def month_span(first: int, last: int) -> str:
    """Months of one year as a reader writes them: 12月, 1–10月."""
    return f"{first}月" if first == last else f"{first}–{last}月"


def year_label(year: int, first: int = 1, last: int = 12) -> str:
    """A year total's label: 2025年 for a whole year, 2023年（12月） or 2026年（1–10月） for part."""
    if (first, last) == (1, 12):
        return f"{year}年"
    return f"{year}年（{month_span(first, last)}）"
