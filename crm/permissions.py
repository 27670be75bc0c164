"""The one place that answers "may this user do this (to this object)".

Every view and API route is wrapped in ``@allow(action)``; ``check_route_rules`` refuses to start
an app with a route that has no rule, so a forgotten check cannot ship. Object-level checks
(a manager and a building not theirs) go through ``may`` / ``ensure`` with the object.
"""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import inspect, select
from sqlalchemy.orm import object_session
from werkzeug.local import LocalProxy

from crm.extensions import db
from crm.models import Building, Company, Lease, user_buildings
from crm.models.memo import remembered
from crm.models import OccupancySnapshot, Unit

from crm.models import Lead, MoveInRequest
from crm.models import ImportBatch

log = logging.getLogger("crm.permissions")

READ_ROLES = {"admin", "leader", "promoter", "manager"}

# action -> roles allowed at all; object rules below narrow managers to their buildings.
ACTIONS: dict[str, set[str]] = {
    "dashboard.view": READ_ROLES,
    "buildings.view": READ_ROLES,
    "companies.view": READ_ROLES,
    "admin.users": {"admin"},
    # The investment-attraction pipeline (issue 5): promoters work their own leads (LEAD_OWNER_ACTIONS),
    # read everyone's; an admin reassigns and merges; managers see move-in requests of their buildings.
    "leads.view": {"admin", "leader", "promoter"},
    "leads.create": {"admin", "promoter"},
    "leads.edit": {"admin", "promoter"},
    "leads.admin": {"admin"},
    "followups.view": {"admin", "leader", "promoter"},
    "movein.view": {"admin", "leader", "manager"},
    "movein.decide": {"admin", "manager"},
    "account.self": READ_ROLES,
    # Building managers' work (issue 4): the object rule narrows managers to their buildings.
    "buildings.manage": {"admin", "manager"},
    "confirmations.confirm": {"admin", "manager"},
    "confirmations.admin": {"admin"},
    "history.view": READ_ROLES,
    "expiries.view": READ_ROLES,
    # Tax and the 亿元楼 candidates (issue 6). A building's tax tab is open to everyone who sees the
    # building (managers only theirs, by the object rule), as its tenants' tax already shows on the
    # building page; the district tax page spans every building, so not managers; the candidate
    # list and the reports page are leadership material; thresholds and basis are the admin's.
    "tax.building": READ_ROLES,
    "tax.district": {"admin", "leader", "promoter"},
    "reports.view": {"admin", "leader"},
    # The monthly briefing (issue 7): leadership reads the archive; only an admin generates one.
    "briefings.view": {"admin", "leader"},
    "briefings.generate": {"admin"},
    "settings.admin": {"admin"},
    # Reminders (issue 8): everyone reads their own notifications and sets their channels; the
    # jobs page (runs, failed deliveries, group-robot URLs) is the admin's.
    "notifications.view": READ_ROLES,
    "jobs.admin": {"admin"},
    # Imports and exports (issue 3): the imports page is open to whoever may import some kind; each
    # kind is its own action ``imports.<kind>`` (crm/io/kinds). Managers import rows of their own
    # buildings only — the importer makes a row for another building an error. An import batch is
    # seen by the one who uploaded it and by admins. Exports give what the list shows the user.
    "imports.use": {"admin", "manager", "promoter"},
    "imports.buildings": {"admin"},
    "imports.units": {"admin", "manager"},
    "imports.companies": {"admin", "manager"},
    "imports.leases": {"admin", "manager"},
    "imports.tax": {"admin"},
    "imports.leads": {"admin", "promoter"},
    "exports.download": READ_ROLES,
}

PUBLIC = "public"


def managed_building_ids(user) -> set[int]:
    if "buildings" in inspect(user).dict:  # loaded, perhaps just changed, in this session
        return {b.id for b in user.buildings}
    # Only the ids: a manager's 70 buildings as objects cost a page more than the rest of its checks.
    session = object_session(user) or db.session
    return remembered(session, f"managed_building_ids:{user.id}", lambda: set(session.scalars(
        select(user_buildings.c.building_id).where(user_buildings.c.user_id == user.id))))


def visible_building_ids(user) -> set[int] | None:
    """Buildings whose figures the user may see; None means all of them."""
    if user.role == "manager":
        return managed_building_ids(user)
    return None


def _may_see_object(user, obj) -> bool:
    if user.role != "manager" or obj is None:
        return True
    mine = managed_building_ids(user)
    if isinstance(obj, Building):
        return obj.id in mine
    if isinstance(obj, Lease):
        return obj.building_id in mine
    if isinstance(obj, Company):
        return any(lease.building_id in mine for lease in obj.leases) or obj.registered_building_id in mine
    if isinstance(obj, (Unit, OccupancySnapshot)):
        return obj.building_id in mine
    if isinstance(obj, MoveInRequest):
        return obj.building_id in mine
    return False


LEAD_OWNER_ACTIONS = {"leads.edit"}


def _owns_lead(user, action: str, obj) -> bool:
    """A promoter changes only their own leads; everyone else allowed the action changes any."""
    if action not in LEAD_OWNER_ACTIONS or not isinstance(obj, Lead) or user.role != "promoter":
        return True
    return obj.owner_id == user.id


def may(user, action: str, obj=None) -> bool:
    # Flask-Login's current_user is a proxy that looks the user up again on every attribute; a
    # page asks this for each of hundreds of cards, so resolve it once.
    user = user._get_current_object() if isinstance(user, LocalProxy) else user
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role not in ACTIONS[action]:
        return False
    if isinstance(obj, ImportBatch):
        return user.role == "admin" or obj.user_id == user.id
    if not _owns_lead(user, action, obj):
        return False
    return _may_see_object(user, obj)


def ensure(action: str, obj=None) -> None:
    """Abort with 403 (logged) unless the current user may do ``action`` to ``obj``."""
    if not may(current_user, action, obj):
        log.warning(
            "refused user=%s action=%s route=%s object=%r",
            getattr(current_user, "username", None), action, request.path, obj,
        )
        abort(403)


def allow(action: str):
    """Declare the rule of a view: anonymous users go to /login, others need ``action``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if action != PUBLIC:
                if not current_user.is_authenticated:
                    if request.path.startswith("/api/"):
                        abort(401)
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                ensure(action)
            return view(*args, **kwargs)

        wrapped.permission = action
        return wrapped

    if action != PUBLIC and action not in ACTIONS:
        raise KeyError(f"unknown permission action {action!r}")
    return decorator


def check_route_rules(app) -> None:
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "permission")
    ]
    if missing:
        raise RuntimeError(f"routes without a permission rule: {', '.join(sorted(missing))}")


def route_permission(endpoint: str) -> str | None:
    return getattr(current_app.view_functions.get(endpoint), "permission", None)


def may_open(endpoint: str) -> bool:
    """Whether ``endpoint`` exists and the current user passes its route-level rule (for menus)."""
    # The menu, the tabs and the buttons ask this dozens of times per page: answer once per request.
    user = current_user._get_current_object()
    answers = g.setdefault("may_open_answers", {})
    key = (getattr(user, "id", None), endpoint)  # signing in or out mid-request asks again
    if key not in answers:
        action = route_permission(endpoint)
        answers[key] = action == PUBLIC or (action is not None and may(user, action))
    return answers[key]
