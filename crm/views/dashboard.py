"""The dashboard (首页): the role's panel of the day's work on top (``crm.services.home``), then the
district figures for the as-of month, scoped to what the user may see."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from crm.extensions import db
from crm.formats import chart_amounts, chart_percent
from crm.cache.versions import OCCUPANCY, TAX
from crm.permissions import allow, may, visible_building_ids
from crm.services import expiries
from crm.services import localisation
from crm.services import periods as P
from crm.services.bridge import month_bridge
from crm.cache import cached
from crm.services.figures import building_figures, district_summary
from crm.services import home
from crm.services.leads import pipeline_rules
from crm.services.pipeline import deadline_counts, flag_items, pipeline_month
from crm.services.tax import tier_rules
from crm.web.params import page_month, today

bp = Blueprint("dashboard", __name__)
LAPSED_SHOWN = 5  # the lapsed leases named on the dashboard; the rest are counted


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
    # The people who resolve lapsed leases see theirs, as of today.
    lapsed = lapsed_count = None
    if may(current_user, "confirmations.confirm"):
        lapsed_count = expiries.count_overdue(db.session, day, ids)
        lapsed = expiries.overdue(db.session, day, ids, limit=LAPSED_SHOWN, with_tax=False) if lapsed_count else []
    bridge = month_bridge(db.session, month, ids)
    # 属地化 as of the month's end: kept with the occupancy and tax figures it derives from, and
    # shared by the host's workers (the card holds figures only: no top rows, no work items).
    loc = (
        cached(
            db.session,
            (OCCUPANCY, TAX),
            ("localisation", month, day, None if ids is None else tuple(sorted(ids))),
            lambda: localisation.summary(db.session, month, day, ids, top=0),
            shared=True,
        )
        if may(current_user, "localisation.view")
        else None
    )
    return render_template(
        "dashboard/index.html",
        loc=loc,
        summary=summary,
        chart=chart,
        month=month,
        pipeline=pipeline,
        flags=flags,
        rules=rules,
        today=day,
        bridge=bridge,
        lapsed=lapsed,
        lapsed_count=lapsed_count,
        lapsed_shown=LAPSED_SHOWN,
        home=role_home(ids, day),
    )


def role_home(ids, day) -> dict:
    """The panel of the signed-in role: ``{"role": ..., "data": ...}``."""
    role = current_user.role
    if role in ("manager", "admin"):
        return {"role": "manager", "data": home.manager_home(db.session, ids, day)}
    if role == "promoter":
        return {"role": "promoter", "data": home.promoter_home(db.session, current_user.id, day)}
    if role == "leader":
        return {"role": "leader", "data": home.leader_home(db.session, day)}
    return {"role": role, "data": None}
