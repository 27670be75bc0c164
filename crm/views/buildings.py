"""Buildings: the filterable list and a building's page with its stacking plan."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_login import current_user
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from crm.extensions import db
from crm.formats import chart_amounts, chart_percent
from crm.models import Building
from crm.cache.versions import OCCUPANCY, TAX
from crm.permissions import allow, may_open, visible_building_ids
from crm.services import expiries
from crm.services import periods as P
from crm.services.bridge import building_bridges
from crm.services.snapshots import occupancy_for_months
from crm.services.figures import HISTORY_MONTHS, building_figures, building_history
from crm.services.tax import company_tax_totals, tier_rules
from crm.services.units import floors, unit_states
from crm.services.vacancy import band, vacant_since
from crm.cache.fragments import cached_fragments, render_part
from crm.views.building_filters import matches_filters, read_building_filters
from crm.views.manage_panel import manage_panel
from crm.warnings.queries import building_panel
from crm.space import lenses
from crm.web.params import page_month, today
from crm.web.lookup import building_or_404

bp = Blueprint("buildings", __name__)


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
        return {
            "content": render_part("buildings/_index.html", rows=shown, total=len(rows), month=month, args=query.kept)
        }

    if filters:  # a filtered view is rendered afresh: too many to keep
        content = Markup(render()["content"])
    else:
        scope = None if ids is None else tuple(sorted(ids))
        content = cached_fragments(
            "building-list", (OCCUPANCY, TAX), (month, request.args.get("month"), scope, tier_rules(db.session)), render
        )["content"]
    return render_template("buildings/index.html", content=content)


@bp.route("/buildings/<code>")
@allow("buildings.view")
def show(code):
    building = building_or_404(code)
    panel = manage_panel(building)
    month = page_month()
    figures = building_figures(db.session, month, buildings=[building])[0]
    day = today()
    lens = lenses.lens_of(request.args.get("lens"))
    return render_template(
        "buildings/show.html",
        building=building,
        figures=figures,
        month=month,
        as_of=P.month_end(month),
        panels=building_panels(building, month, panel.can_manage, visible_building_ids(current_user), lens),
        panel=panel,
        lens=lens,
        LENSES=lenses.LENSES,
        legend=lenses.legend(lens),
        today=day,
        lapsed=lapsed_leases(building, day),
        back=request.full_path.rstrip("?"),
        warning_panel=building_panel(db.session, building.id) if may_open("warnings.index") else None,
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
    """The month bridges of the 12 months ending ``month``, newest first, from the month figures
    of the 24 months the page's chart shows (read once for both)."""
    periods = P.months_ending(month, BRIDGE_MONTHS)
    figures = occupancy_for_months(db.session, P.months_ending(month, HISTORY_MONTHS), [building.id])
    bridges = building_bridges(db.session, building.id, periods, figures)
    return [bridges[p] for p in reversed(periods)]


def building_panels(building: Building, month: str, can_manage: bool, scope_ids, lens: str = lenses.DEFAULT):
    """The stacking plan, the tenants table on the month's last day, the history chart's data and
    the month bridges (cached fragments, shared by the worker processes). A tenant's tax is that
    attributed to the buildings ``scope_ids`` (None: all of it), so a manager sees no tax of
    another's building. Under another lens than 状态 the plan is its own fragment (``lens_plan``):
    the other parts stay the ones every lens shares."""

    found = []  # the units' states, read once when both the panels and the lens plan are rendered

    def states_at(as_of):
        if not found:
            found.append(unit_states(db.session, building, as_of))
        return found[0]

    def render_space() -> dict[str, str]:
        as_of = P.month_end(month)
        return {
            "plan": plan_html(building, month, states_at(as_of), lenses.DEFAULT),
            "bridge": render_part("buildings/_bridge.html", bridges=bridge_rows(building, month)),
        }

    def render_tax() -> dict[str, str]:
        as_of = P.month_end(month)
        tenants = sorted(
            {s.lease.id: s.lease for s in states_at(as_of) if s.lease}.values(), key=lambda lease: lease.company.name
        )
        tax_12m = company_tax_totals(
            db.session, [lease.company_id for lease in tenants], P.shift(month, -11), month, scope_ids
        )
        shared = dict(building=building, month=month, as_of=as_of, can_manage=can_manage)
        chart = history_chart(building, month)
        return {
            "tenants": render_part("buildings/_tenants.html", tenants=tenants, tax_12m=tax_12m, **shared),
            "chart": str(htmlsafe_json_dumps(chart)),
            "tax_unit": chart["unit"],
        }

    # Two parts kept apart: the space parts (plan, bridges) are the same for every reader and a
    # tax import leaves them as they were; the tax parts follow the reader's scope.
    parts = {
        **cached_fragments("building-space", (OCCUPANCY,), (building.id, month), render_space),
        **cached_fragments(
            "building-panels", (OCCUPANCY, TAX), (building.id, month, can_manage, scope_ids), render_tax
        ),
    }
    if lens == lenses.DEFAULT:
        return parts
    return {**parts, "plan": lens_plan(building, month, lens, states_at)}


def lapsed_leases(building: Building, day) -> list:
    """The building's 到期未处置 leases (the page shows no tax of them): the list is read only
    when the count (kept with the occupancy figures) says there are any."""
    if not expiries.count_overdue(db.session, day, [building.id]):
        return []
    return expiries.overdue(db.session, day, [building.id], with_tax=False)


def plan_html(building: Building, month: str, states, lens: str) -> str:
    """The stacking plan of ``states`` (the units at the month's end) under ``lens``."""
    as_of = P.month_end(month)
    bands = {uid: band(first, as_of) for uid, first in vacant_since(db.session, building.id, states, as_of).items()}
    return render_part(
        "buildings/_plan.html",
        floors=floors(states),
        bands=bands,
        lens=lens,
        marks=lenses.marks(db.session, states, lens, as_of),
    )


def lens_plan(building: Building, month: str, lens: str, states_at=None):
    """The plan under a lens other than 状态, cached on its own; ``states_at(day)`` gives the
    units' states when the caller has them already."""

    def render() -> dict[str, str]:
        as_of = P.month_end(month)
        states = states_at(as_of) if states_at else unit_states(db.session, building, as_of)
        return {"plan": plan_html(building, month, states, lens)}

    return cached_fragments("building-plan-lens", (OCCUPANCY, TAX), (building.id, month, lens), render)["plan"]
