"""Buildings: the filterable list and a building's page with its stacking plan."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from sqlalchemy import select

from crm.extensions import db
from crm.formats import chart_amounts, chart_percent
from crm.models import Building
from crm.models.choices import STREETS, TIERS, ZONES
from crm.models.version import OCCUPANCY, TAX
from crm.permissions import allow, ensure, visible_building_ids
from crm.services import expiries as E
from crm.services import periods as P
from crm.services.bridge import building_bridges
from crm.services.bounds import QueryReader
from crm.services.figures import building_figures, building_history
from crm.services.tax import company_tax_totals, tier_rules
from crm.services.units import floors, unit_states
from crm.services.vacancy import band, vacant_since
from crm.space import lenses as LS
from crm.views.fragments import cached_fragments, render_part
from crm.views.manage import manageable
from crm.web.params import page_month, today

bp = Blueprint("buildings", __name__)


def read_building_filters(args) -> QueryReader:
    """The list's filters (street, zone, tier, search); ``kept`` holds the valid ones."""
    query = QueryReader(args)
    query.choice("street", "街道", STREETS)
    query.choice("zone", "片区", [*ZONES, "none"])
    query.choice("tier", "税收层级", [*TIERS, "none"])
    query.text("q", "搜索")
    return query


def matches_filters(row, args) -> bool:
    b = row.building
    text = args.get("q", "").strip().lower()
    if args.get("street") and b.street != args["street"]:
        return False
    if args.get("zone") and (b.zone or "none") != args["zone"]:
        return False
    if args.get("tier") and (row.tier or "none") != args["tier"]:
        return False
    if text and text not in f"{b.code} {b.name} {b.address or ''} {b.positioning or ''}".lower():
        return False
    return True


@bp.route("/buildings")
@allow("buildings.view")
def index():
    month = page_month()
    ids = visible_building_ids(current_user)
    query = read_building_filters(request.args)
    for problem in query.problems:
        flash(problem, "warning")
    filters = dict(query.kept)
    query.keep("month", month if request.args.get("month") else None)

    def render() -> dict[str, str]:
        rows = building_figures(db.session, month, ids)
        shown = [row for row in rows if matches_filters(row, filters)]
        return {"content": render_part("buildings/_index.html", rows=shown, total=len(rows), month=month, args=query.kept)}

    if filters:  # a filtered view is rendered afresh: too many to keep
        content = Markup(render()["content"])
    else:
        scope = None if ids is None else tuple(sorted(ids))
        content = cached_fragments("building-list", (OCCUPANCY, TAX), (month, request.args.get("month"), scope,
                                                                         tier_rules(db.session)), render)["content"]
    return render_template("buildings/index.html", content=content)


def get_building_or_404(code: str) -> Building:
    building = db.session.scalar(select(Building).where(Building.code == code))
    if building is None:
        abort(404)
    ensure("buildings.view", building)
    return building


@bp.route("/buildings/<code>")
@allow("buildings.view")
def show(code):
    building = get_building_or_404(code)
    month = page_month()
    figures = building_figures(db.session, month, buildings=[building])[0]
    day = today()
    lens = LS.lens_of(request.args.get("lens"))
    return render_template(
        "buildings/show.html", building=building, figures=figures, month=month, as_of=P.month_end(month),
        panels=building_panels(building, month, manageable(building), visible_building_ids(current_user), lens),
        lens=lens, LENSES=LS.LENSES, legend=LS.legend(lens),
        today=day, lapsed=E.overdue(db.session, day, [building.id], visible_building_ids(current_user)),
        back=request.full_path.rstrip("?"),
    )


def history_chart(building: Building, month: str) -> dict:
    """Month-end occupancy (%) and monthly tax (万元, or 亿元 past ¥100 m) of the 24 months ending ``month``."""
    history = building_history(db.session, building, month)
    amounts, unit = chart_amounts(p.tax for p in history)
    return {
        "labels": [P.label(p.period) for p in history],
        "occupancy": [chart_percent(p.occupancy.occupancy) for p in history],
        "tax": amounts,
        "unit": unit,
    }


BRIDGE_MONTHS = 12


def bridge_rows(building: Building, month: str) -> list:
    """The month bridges of the 12 months ending ``month``, newest first."""
    periods = P.months_ending(month, BRIDGE_MONTHS)
    bridges = building_bridges(db.session, building.id, periods)
    return [bridges[p] for p in reversed(periods)]


def building_panels(building: Building, month: str, can_manage: bool, scope_ids, lens: str = LS.DEFAULT):
    """The stacking plan, the tenants table on the month's last day, the history chart's data and
    the month bridges (cached fragments, shared by the worker processes). A tenant's tax is that
    attributed to the buildings ``scope_ids`` (None: all of it), so a manager sees no tax of
    another's building. Under another lens than 状态 the plan is its own fragment (``lens_plan``):
    the other parts stay the ones every lens shares."""
    def render() -> dict[str, str]:
        as_of = P.month_end(month)
        states = unit_states(db.session, building, as_of)
        tenants = sorted({s.lease.id: s.lease for s in states if s.lease}.values(), key=lambda l: l.company.name)
        tax_12m = company_tax_totals(db.session, [l.company_id for l in tenants], P.shift(month, -11), month, scope_ids)
        shared = dict(building=building, month=month, as_of=as_of, can_manage=can_manage)
        chart = history_chart(building, month)
        return {
            "plan": plan_html(building, month, can_manage, states, LS.DEFAULT),
            "tenants": render_part("buildings/_tenants.html", tenants=tenants, tax_12m=tax_12m, **shared),
            "chart": str(htmlsafe_json_dumps(chart)),
            "tax_unit": chart["unit"],
            "bridge": render_part("buildings/_bridge.html", bridges=bridge_rows(building, month), **shared),
        }

    parts = cached_fragments("building-panels", (OCCUPANCY, TAX), (building.id, month, can_manage, scope_ids), render)
    if lens == LS.DEFAULT:
        return parts
    return {**parts, "plan": lens_plan(building, month, can_manage, lens)}


def plan_html(building: Building, month: str, can_manage: bool, states, lens: str) -> str:
    """The stacking plan of ``states`` (the units at the month's end) under ``lens``."""
    as_of = P.month_end(month)
    bands = {uid: band(first, as_of) for uid, first in vacant_since(db.session, building.id, states, as_of).items()}
    return render_part("buildings/_plan.html", floors=floors(states), bands=bands, lens=lens,
                       marks=LS.marks(db.session, states, lens, as_of), building=building, month=month, as_of=as_of,
                       can_manage=can_manage)


def lens_plan(building: Building, month: str, can_manage: bool, lens: str):
    """The plan under a lens other than 状态, cached on its own."""
    def render() -> dict[str, str]:
        return {"plan": plan_html(building, month, can_manage, unit_states(db.session, building, P.month_end(month)), lens)}

    return cached_fragments("building-plan-lens", (OCCUPANCY, TAX), (building.id, month, can_manage, lens), render)["plan"]
