"""The dashboard: district figures for the as-of month, scoped to what the user may see."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from crm.extensions import db
from crm.models.version import OCCUPANCY, TAX
from crm.permissions import allow, may, visible_building_ids
from crm.services import expiries as E
from crm.services import periods as P
from crm.services.bridge import month_bridge
from crm.services.figure_cache import cached
from crm.services.figures import building_figures, district_summary
from crm.services.landing import pending_request_count
from crm.services.pipeline import pipeline_summary
from crm.services.tax import tier_rules
from crm.views.params import page_month, today

bp = Blueprint("dashboard", __name__)


def district_figures(month: str, ids) -> tuple:
    """The summary and chart data of the buildings ``ids`` (None: all) — plain data, so the
    figure cache can keep it."""
    rows = building_figures(db.session, month, ids)
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
    return summary, chart


@bp.route("/")
@allow("dashboard.view")
def index():
    month = page_month()
    ids = visible_building_ids(current_user)
    key = ("dashboard", month, None if ids is None else tuple(sorted(ids)), tier_rules(db.session))
    summary, chart = cached(db.session, (OCCUPANCY, TAX), key, lambda: district_figures(month, ids))
    # The pipeline is live work, so it reads today rather than the as-of month.
    pipeline = pipeline_summary(db.session, today()) if may(current_user, "leads.view") else None
    pending_moveins = (
        pending_request_count(db.session, visible_building_ids(current_user))
        if may(current_user, "movein.decide") else None
    )
    # The people who resolve lapsed leases see theirs, as of today.
    lapsed = E.overdue(db.session, today(), ids) if may(current_user, "confirmations.confirm") else None
    return render_template(
        "dashboard/index.html", summary=summary, chart=chart, month=month, pipeline=pipeline,
        pending_moveins=pending_moveins, today=today(), bridge=month_bridge(db.session, month, ids), lapsed=lapsed,
    )
