"""The one place that answers "may this user do this (to this object)", and which rows they see.

Two questions, two answers:

- **May the role do it at all?** Every view and API route is wrapped in ``@allow(action)``;
  ``check_route_rules`` refuses to start an app with a route that has no rule, so a forgotten
  check cannot ship. Each import kind is the action ``imports.<kind>``, each export kind
  ``exports.<kind>`` — the action of the page that lists those rows, so a file never gives a
  role what its page refuses.
- **Which rows?** ``scope_of(user)`` is the user's ``Scope``: a building manager reaches the
  buildings assigned to them and nothing else; everyone else (and the command line) every
  building. Pages, the API, exports and imports all filter through it — ``Scope.filter`` for a
  query of a model, ``Scope.sees`` for one object, ``Scope.building_ids`` for the services that
  take a set of buildings — and changes of companies go through ``Scope.may_change_company``.
  Object-level checks go through ``may`` / ``ensure`` with the object.

What ties a row to buildings: a building itself; a unit, lease, monthly snapshot, move-in request
or tax record by its building (a tax record by the building it is attributed to — one that is
attributed to none belongs to no manager); a 属地化 work item by the building its target was
found in; a company by any lease it has or had there and by its registered building. Leads belong
to no building: only the roles of ``leads.view`` read them.

The rules that need no request live in ``crm.access`` (re-exported here); this module adds the
route rules: ``allow`` on every route, ``ensure`` for an object, ``may_open`` for menus.
"""

from __future__ import annotations

import functools
import logging

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from crm.access import (  # noqa: F401  (pages and the API take the rules from this module)
    ACTIONS,
    EVERYWHERE,
    EXPORT_PAGES,
    LEAD_OWNER_ACTIONS,
    PUBLIC,
    READ_ROLES,
    Scope,
    managed_building_ids,
    may,
    scope_of,
    visible_building_ids,
)

log = logging.getLogger("crm.permissions")


def ensure(action: str, obj=None) -> None:
    """Abort with 403 (logged) unless the current user may do ``action`` to ``obj``."""
    if not may(current_user, action, obj):
        log.warning(
            "refused user=%s action=%s route=%s object=%r",
            getattr(current_user, "username", None),
            action,
            request.path,
            obj,
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
