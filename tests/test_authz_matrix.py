"""The authorization matrix (tests/authz_table.py) is complete and every cell holds.

Completeness: every rule of ``app.url_map`` with each of its methods (HEAD and OPTIONS aside)
has a row, and no row names a route that does not exist. Then each row is requested as each
actor on a small world of two buildings: A kept by "manager", B by "other_manager".
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from werkzeug.security import generate_password_hash

from crm.models import OccupancySnapshot, User
from crm.permissions import ACTIONS, PUBLIC
from tests import factories as f
from tests.authz_table import ACTORS, ROUTES, WORLD_BUILDERS

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Refused actors first, so an allowed actor's write never changes what a refused one sees.
REQUEST_ORDER = ("anonymous", "leader", "promoter", "other_manager", "manager", "admin")
ROLES = {"admin": "admin", "leader": "leader", "promoter": "promoter", "manager": "manager", "other_manager": "manager"}
_CHEAP_HASH = generate_password_hash("not-used-by-these-tests", method="pbkdf2:sha256:1")


def table_keys():
    return [(row[0], row[1]) for row in ROUTES]


def test_every_route_and_method_is_in_the_table(app):
    rules = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - IGNORED_METHODS}
    keys = table_keys()
    missing = sorted(rules - set(keys), key=lambda k: (k[1], k[0]))
    assert not missing, "routes missing from tests/authz_table.py:\n" + "\n".join(f"  {m} {r}" for m, r in missing)
    stale = sorted(set(keys) - rules)
    assert not stale, f"rows for routes that do not exist: {stale}"
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"routes listed twice: {sorted(duplicates)}"
    assert all(len(row[3]) == len(ACTORS) for row in ROUTES)


def build_world(session) -> dict:
    a = f.building(session, "A01", "甲大厦")
    b = f.building(session, "B01", "乙大厦", street="白云")
    unit = f.unit(session, a, 3, "01", 100)
    let_unit = f.unit(session, a, 3, "02", 200)
    f.unit(session, b, 2, "01", 300)
    tenant = f.company(session, "甲租户有限公司")
    lease = f.lease(session, tenant, a, [let_unit], date(2025, 1, 1), date(2027, 12, 31))
    users = {}
    for actor, role in ROLES.items():
        buildings = [a] if actor == "manager" else [b] if actor == "other_manager" else []
        user = User(username=actor, role=role, display_name=actor, buildings=buildings, password_hash=_CHEAP_HASH)
        session.add(user)
        users[actor] = user
    session.flush()
    world = dict(a=a, b=b, users=users, unit_obj=unit, lease_obj=lease, company_obj=tenant)
    world["values"] = dict(
        code=a.code,
        unit=unit.id,
        let_unit=let_unit.id,
        lease=lease.id,
        company=tenant.id,
        period="2026-10",
    )
    for builder in WORLD_BUILDERS:
        world["values"].update(builder(session, world))
    session.commit()
    return world


def sign_in_as(client, user: User) -> None:
    """Put the user's session in the cookie directly: no password hashing per request."""
    with client.session_transaction() as s:
        s.clear()
        s["_user_id"] = user.session_token
        s["_fresh"] = True
        s["started_at"] = s["seen_at"] = int(time.time())


def request_as(app, world, actor, method, path, data):
    client = app.test_client()
    if actor != "anonymous":
        sign_in_as(client, world["users"][actor])
    if method == "GET":
        return client.get(path)
    return client.post(path, data=data or {})


@pytest.mark.parametrize("row", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_matrix_row(app, session, row):
    method, _rule, path_template, expected, *rest = row
    data = rest[0] if rest else None
    world = build_world(session)
    path = path_template.format(**world["values"])
    want = dict(zip(ACTORS, expected))
    got = {}
    for actor in REQUEST_ORDER:
        got[actor] = request_as(app, world, actor, method, path, data).status_code
        session.rollback()  # the next actor reads fresh rows
    assert {a: got[a] for a in ACTORS} == want


# A leader changes nothing — except their own password, tokens and notification settings.
PERSONAL_ACTIONS = {PUBLIC, "account.self", "notifications.view"}


def test_a_leader_post_to_any_write_route_is_403_and_writes_nothing(app, session):
    world = build_world(session)
    rows = {(row[0], row[1]): row for row in ROUTES}
    checked = 0
    for rule in app.url_map.iter_rules():
        action = getattr(app.view_functions[rule.endpoint], "permission", None)
        if "POST" not in rule.methods or action in PERSONAL_ACTIONS:
            continue
        assert "leader" not in ACTIONS[action], f"{rule.rule} lets a leader write ({action})"
        row = rows.get(("POST", rule.rule))
        if row is None:
            continue  # reported by test_every_route_and_method_is_in_the_table
        path = row[2].format(**world["values"])
        response = request_as(app, world, "leader", "POST", path, {"on": "2026-11-15", "reason": "到期", "area": "1"})
        assert response.status_code == 403, f"leader POST {path}: {response.status_code}"
        checked += 1
    assert checked >= 10
    session.rollback()
    assert session.query(OccupancySnapshot).count() == 0
    assert world["lease_obj"].moved_out_on is None and world["unit_obj"].area == 100
