"""Buildings: the filterable list and a building's page with its stacking plan."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from crm.extensions import db
from crm.models import Building
from crm.permissions import allow, ensure, visible_building_ids
from crm.services import periods as P
from crm.services.figures import building_figures, building_history
from crm.services.tax import company_tax_totals
from crm.services.units import floors, unit_states
from crm.views.params import page_month

bp = Blueprint("buildings", __name__)


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
    rows = building_figures(db.session, month, visible_building_ids(current_user))
    shown = [row for row in rows if matches_filters(row, request.args)]
    return render_template("buildings/index.html", rows=shown, total=len(rows), month=month, args=request.args)


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
    states = unit_states(db.session, building, P.month_end(month))
    history = building_history(db.session, building, month)
    tenants = sorted({s.lease.id: s.lease for s in states if s.lease}.values(), key=lambda l: l.company.name)
    tax_12m = company_tax_totals(db.session, [l.company_id for l in tenants], P.shift(month, -11), month)
    chart = {
        "labels": [P.label(p.period) for p in history],
        "occupancy": [round((p.occupancy.occupancy or 0) * 100, 1) for p in history],
        "tax": [round(float(p.tax) / 10000, 1) for p in history],
    }
    return render_template(
        "buildings/show.html", building=building, figures=figures, floors=floors(states), states=states,
        tenants=tenants, tax_12m=tax_12m, chart=chart, month=month, as_of=P.month_end(month),
    )
