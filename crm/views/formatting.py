"""How numbers read on screen (DESIGN.md): 万元 with one decimal, 亿元 past ¥100 m, m² with
thousands separators, percentages with one decimal, rises red ↑ and falls green ↓."""
from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS, INDUSTRY_SECTIONS, ROLES, STREETS, TIERS, UNIT_STATUSES, ZONES
from crm.services import periods as P

YI = Decimal("100000000")
WAN = Decimal("10000")


def money(value) -> str:
    """¥ amount for people: 亿元 (two decimals) at or past ¥100 m, else 万元 (one decimal)."""
    if value is None:
        return "—"
    value = Decimal(value)
    if abs(value) >= YI:
        return f"{value / YI:,.2f} 亿元"
    return f"{value / WAN:,.1f} 万元"


def wan(value) -> str:
    """Plain 万元 figure with one decimal, for table cells whose header carries the unit."""
    return "—" if value is None else f"{Decimal(value) / WAN:,.1f}"


def area(value) -> str:
    return "—" if value is None else f"{Decimal(value):,.0f}"


def area_exact(value) -> str:
    return "—" if value is None else f"{Decimal(value):,.2f}"


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def change(value, comparison: str, points: bool = False) -> Markup:
    """A change with its comparison named: red ↑ for a rise, green ↓ for a fall."""
    if value is None:
        return Markup(f'<span class="text-muted">{escape(comparison)} —</span>')
    number = value if points else value * 100
    unit = " 个百分点" if points else "%"
    if number > 0:
        return Markup(f'<span class="rise">{escape(comparison)} ↑{abs(number):.1f}{unit}</span>')
    if number < 0:
        return Markup(f'<span class="fall">{escape(comparison)} ↓{abs(number):.1f}{unit}</span>')
    return Markup(f'<span class="text-muted">{escape(comparison)} 持平</span>')


def init_app(app) -> None:
    app.jinja_env.filters.update(
        money=money, wan=wan, area=area, area_exact=area_exact, pct=pct, month_label=P.label,
    )
    from crm.permissions import may_open

    app.jinja_env.globals.update(
        may_open=may_open, change=change, INDUSTRY_GROUPS=INDUSTRY_GROUPS, STREETS=STREETS, ZONES=ZONES, TIERS=TIERS, HQ_TYPES=HQ_TYPES, ROLES=ROLES,
        UNIT_STATUSES=UNIT_STATUSES, INDUSTRY_SECTIONS=INDUSTRY_SECTIONS,
    )

    @app.context_processor
    def demo_flag():
        # Shown whenever the database holds invented data, whatever the configuration says.
        from sqlalchemy import select

        from crm.extensions import db
        from crm.models import Building

        return {"demo_mode": db.session.scalar(select(Building.id).where(Building.is_demo.is_(True)).limit(1)) is not None}
