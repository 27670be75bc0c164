"""How numbers read (DESIGN.md), for pages and PDFs alike: money in 万元 with one decimal (亿元
with two past ¥100 m), areas in m² with thousands separators, percentages with one decimal."""
from __future__ import annotations

from decimal import Decimal

WAN = Decimal("10000")
YI = Decimal("100000000")
DASH = "—"


def wan(value) -> str:
    """Yuan → 万元 with one decimal and thousands separators: 18,234.5."""
    return DASH if value is None else f"{Decimal(str(value)) / WAN:,.1f}"


def money(value) -> str:
    """Yuan for prose: 亿元 with two decimals from ¥100 m, else 万元 with one."""
    if value is None:
        return DASH
    value = Decimal(str(value))
    return f"{value / YI:,.2f} 亿元" if abs(value) >= YI else f"{value / WAN:,.1f} 万元"


def area(value) -> str:
    return DASH if value is None else f"{Decimal(str(value)):,.0f}"


def area_exact(value) -> str:
    return DASH if value is None else f"{Decimal(str(value)):,.2f}"


def yuan(value) -> str:
    return DASH if value is None else f"{Decimal(str(value)):,.0f}"


def percent(value) -> str:
    """A fraction as a percentage with one decimal, unsigned: 72.3%."""
    return DASH if value is None else f"{value * 100:.1f}%"


def signed_percent(value) -> str:
    """A fraction as a signed percentage with one decimal: +12.3%."""
    return DASH if value is None else f"{value * 100:+.1f}%"


def points(value) -> str:
    """A change in percentage points with one decimal and its sign: +1.2 / −3.4 (0.0 unsigned)."""
    if value is None:
        return DASH
    rounded = round(value, 1)
    return "0.0" if rounded == 0 else f"{rounded:+.1f}"


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
