"""The dashboard: district figures for the as-of month, scoped to what the user may see."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from crm.extensions import db
from crm.formats import chart_amounts, chart_percent
from crm.models.version import OCCUPANCY, TAX
from crm.permissions import allow, may, visible_building_ids
from crm.services import expiries as E
from crm.services import localisation as LOC
from crm.services import periods as P
from crm.services.bridge import month_bridge
from crm.services.figure_cache import cached
from crm.services.figures import building_figures, district_summary
from crm.services.landing import pending_request_count
from crm.services.leads import pipeline_rules
from crm.services.pipeline import deadline_counts, flag_items, pipeline_month
from crm.services.tax import tier_rules
from crm.web.params import page_month, today

bp = Blueprint("dashboard", __name__)


def district_figures(month: str, ids) -> tuple:
    """The summary and chart data of the buildings ``ids`` (None: all) — plain data, so the
    figure cache can keep it."""
    rows = building_figures(db.session, month, ids)
    summary = district_summary(db.session, month, rows=rows)
    amounts, unit = chart_amounts(v for _, v in summary.monthly_tax)
    chart = {
        "occupancy": {
            "labels": [r.building.name for r in rows],
            "values": [chart_percent(r.occupancy.occupancy) for r in rows],
        },
        "tax": {"labels": [P.label(p) for p, _ in summary.monthly_tax], "values": amounts, "unit": unit},
    }
    return summary, chart


@bp.route("/")
@allow("dashboard.view")
def index():
    month = page_month()
    ids = visible_building_ids(current_user)
    key = ("dashboard", month, None if ids is None else tuple(sorted(ids)), tier_rules(db.session))
    summary, chart = cached(db.session, (OCCUPANCY, TAX), key, lambda: district_figures(month, ids))
    day = today()
    pipeline = flags = rules = None
    if may(current_user, "leads.view"):
        # The month's pipeline as of its end, as the briefing and the API give it; the deadline
        # flags are today's work, shown apart and labelled so.
        pipeline = pipeline_month(db.session, month, day)
        rules = pipeline_rules(db.session)
        flags = flag_items(deadline_counts(db.session, day, rules))
    pending_moveins = (
        pending_request_count(db.session, visible_building_ids(current_user))
        if may(current_user, "movein.decide") else None
    )
    # The people who resolve lapsed leases see theirs, as of today.
    lapsed = E.overdue(db.session, today(), ids) if may(current_user, "confirmations.confirm") else None
    # 属地化 as of the month's end: kept with the occupancy and tax figures it derives from (a
    # work item's move changes the occupancy token: see services.localisation.move).
    loc = (cached(db.session, (OCCUPANCY, TAX), ("localisation", month, day, None if ids is None else tuple(sorted(ids))),
                  lambda: LOC.summary(db.session, month, day, ids, top=0))
           if may(current_user, "localisation.view") else None)
    return render_template(
        "dashboard/index.html", loc=loc, summary=summary, chart=chart, month=month, pipeline=pipeline, flags=flags,
        rules=rules, pending_moveins=pending_moveins, today=day, bridge=month_bridge(db.session, month, ids),
        lapsed=lapsed,
    )
