"""The one place that answers "may this user do this (to this object)".

Every view and API route is wrapped in ``@allow(action)``; ``check_route_rules`` refuses to start
an app with a route that has no rule, so a forgotten check cannot ship. Object-level checks
(a manager and a building not theirs) go through ``may`` / ``ensure`` with the object.
"""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from crm.models import Building, Company, Lease

log = logging.getLogger("crm.permissions")

READ_ROLES = {"admin", "leader", "promoter", "manager"}

# action -> roles allowed at all; object rules below narrow managers to their buildings.
ACTIONS: dict[str, set[str]] = {
    "dashboard.view": READ_ROLES,
    "buildings.view": READ_ROLES,
    "companies.view": READ_ROLES,
    "admin.users": {"admin"},
}

PUBLIC = "public"


def managed_building_ids(user) -> set[int]:
    return {b.id for b in user.buildings}


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
    return False


def may(user, action: str, obj=None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role not in ACTIONS[action]:
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
    action = route_permission(endpoint)
    return action == PUBLIC or (action is not None and may(current_user, action))
