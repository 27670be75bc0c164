"""Change history (变更记录) as timelines: a building with its units, leases and monthly figures
and the corrections of its confirmed months; a unit; a company with its leases; a lease."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from crm.extensions import db
from crm.models import Company, Lease, Unit
from crm.models.history import OBJECT_TYPES
from crm.permissions import allow, ensure, visible_building_ids
from crm.services import periods as P
from crm.services import timeline
from crm.services.corrections import corrections_of
from crm.web.lookup import building_or_404

bp = Blueprint("history", __name__)


def render(entries, title, building=None, subject=None, kinds=None, kind="", corrections=(), period=None):
    return render_template(
        "history/timeline.html",
        entries=entries,
        title=title,
        building=building,
        subject=subject,
        kinds=kinds,
        kind=kind,
        field_changes=timeline.field_changes,
        local_time=timeline.local_time,
        limit=timeline.PAGE_SIZE,
        corrections=corrections,
        period=period,
    )


def found(obj):
    if obj is None:
        abort(404)
    ensure("history.view", obj)
    return obj


# The building page can also show its corrections alone (更正: changes to confirmed months).
BUILDING_KINDS = {**OBJECT_TYPES, "correction": "更正"}


@bp.route("/buildings/<code>/history")
@allow("history.view")
def building(code):
    b = building_or_404(code, "history.view")
    kind = request.args.get("type", "")
    kind = kind if kind in BUILDING_KINDS else ""
    period = request.args.get("month", "")
    period = period if P.PERIOD_RE.match(period) else None
    corrections = corrections_of(db.session, b.id, period) if kind in ("", "correction") else []
    entries = [] if kind == "correction" else timeline.building_timeline(db.session, b.id, kind or None)
    return render(
        entries,
        f"{b.name} 变更记录",
        building=b,
        kinds=BUILDING_KINDS,
        kind=kind,
        corrections=corrections,
        period=period,
    )


@bp.route("/units/<int:unit_id>/history")
@allow("history.view")
def unit(unit_id):
    u = found(db.session.get(Unit, unit_id))
    return render(
        timeline.object_timeline(db.session, "unit", u.id), f"单元 {u.label} 变更记录", building=u.building, subject=u
    )


@bp.route("/companies/<int:company_id>/history")
@allow("history.view")
def company(company_id):
    c = found(db.session.get(Company, company_id))
    entries = timeline.company_timeline(db.session, c.id, building_ids=visible_building_ids(current_user))
    return render(entries, f"{c.name} 变更记录", subject=c)


@bp.route("/leases/<int:lease_id>/history")
@allow("history.view")
def lease(lease_id):
    found_lease = found(db.session.get(Lease, lease_id))
    return render(
        timeline.object_timeline(db.session, "lease", found_lease.id),
        f"{found_lease.company.name} 租约变更记录",
        building=found_lease.building,
        subject=found_lease,
    )
