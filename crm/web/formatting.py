"""How numbers read on screen (DESIGN.md): 万元 with one decimal, 亿元 past ¥100 m, m² with
thousands separators, percentages with one decimal, rises red ↑ and falls green ↓."""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

from crm.formats import area, area_exact, half_up, money, percent, signed_area, signed_count, wan, year_label, yuan
from crm.models.choices import HQ_TYPES, INDUSTRY_GROUPS, INDUSTRY_SECTIONS, ROLES, STREETS, TIERS, UNIT_STATUSES, ZONES
from crm.services import periods as P

# The formats themselves live in crm/formats.py, shared with the PDF reports.
pct = percent


def change(value, comparison: str, points: bool = False) -> Markup:
    """A change with its comparison named: red ↑ for a rise, green ↓ for a fall."""
    if value is None:
        return Markup(f'<span class="text-muted">{escape(comparison)} —</span>')
    number = half_up(value if points else value * 100, 1)
    unit = " 个百分点" if points else "%"
    if number > 0:
        return Markup(f'<span class="rise">{escape(comparison)} ↑{abs(number)}{unit}</span>')
    if number < 0:
        return Markup(f'<span class="fall">{escape(comparison)} ↓{abs(number)}{unit}</span>')
    return Markup(f'<span class="text-muted">{escape(comparison)} 持平</span>')


def unit_tip(state) -> str:
    """One line about a unit for the stacking plan: label, area, status, tenant, lease end."""
    unit = state.unit
    text = f"{unit.label} · {area_exact(unit.area)} m² · {UNIT_STATUSES[state.status]}"
    if state.lease is not None:
        text += f" · {state.lease.company.name} · 租期至 {state.lease.end_date or '不定期'}"
    elif getattr(state, "lapsed", None) is not None:
        text += f" · 到期未处置：{state.lapsed.company.name}（{state.lapsed.end_date} 到期）"
    return text


def day_after(day: date) -> date:
    return day + timedelta(days=1)


def init_app(app) -> None:
    app.jinja_env.filters.update(
        unit_tip=unit_tip,
        money=money,
        wan=wan,
        area=area,
        area_exact=area_exact,
        pct=pct,
        yuan=yuan,
        month_label=P.label,
        signed_area=signed_area,
        signed_count=signed_count,
        day_after=day_after,
    )
    from crm.permissions import may_open

    app.jinja_env.globals.update(
        may_open=may_open,
        change=change,
        year_label=year_label,
        INDUSTRY_GROUPS=INDUSTRY_GROUPS,
        STREETS=STREETS,
        ZONES=ZONES,
        TIERS=TIERS,
        HQ_TYPES=HQ_TYPES,
        ROLES=ROLES,
        UNIT_STATUSES=UNIT_STATUSES,
        INDUSTRY_SECTIONS=INDUSTRY_SECTIONS,
    )

    @app.context_processor
    def demo_flag():
        # Shown whenever the database holds invented data, whatever the configuration says.
        from crm.extensions import db
        from crm.services.candidates import holds_demo_data

        return {"demo_mode": holds_demo_data(db.session)}
