"""The dashboard: district figures for the as-of month, scoped to what the user may see."""
from __future__ import annotations

from flask import Blueprint, flash, render_template
from flask_login import current_user

from crm.extensions import db
from crm.permissions import allow, visible_building_ids
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.figures import building_figures, district_summary
from crm.views.params import as_of_month, default_month

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@allow("dashboard.view")
def index():
    try:
        month = as_of_month()
    except DomainError as error:
        flash(error.message, "warning")
        month = default_month()
    rows = building_figures(db.session, month, visible_building_ids(current_user))
    summary = district_summary(db.session, month, rows=rows)
    chart = {
        "occupancy": {
            "labels": [r.building.name for r in rows],
            "values": [round((r.occupancy.occupancy or 0) * 100, 1) for r in rows],
        },
        "tax": {
            "labels": [P.label(p) for p, _ in summary.monthly_tax],
            "values": [round(float(v) / 10000, 1) for _, v in summary.monthly_tax],
        },
    }
    return render_template("dashboard/index.html", summary=summary, rows=rows, chart=chart, month=month)
