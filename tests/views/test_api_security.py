"""Writing through the API with CSRF protection on: a personal token needs no CSRF token (a foreign
page cannot send it), a cookie session does — the API opens no hole the forms close."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crm.models import ApiToken, FollowUp
from crm.accounts.tokens import revoke_token
from tests.test_authz_matrix import sign_in_as


@pytest.fixture()
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def followups(session) -> int:
    return session.scalar(select(func.count()).select_from(FollowUp))


def path(world) -> str:
    return f"/api/v1/leads/{world['followed'].id}/followups"


BODY = {"method": "电话", "notes": "电话确认考察时间"}


def test_a_token_write_needs_no_csrf_token(caller, world, session, csrf_on):
    response = caller("zs1").post(path(world), json=BODY)
    assert response.status_code == 201
    assert followups(session) == 1


def test_a_cookie_session_write_without_csrf_is_refused(app, world, session, csrf_on):
    client = signed_in(app, world)
    response = client.post(path(world), json=BODY)
    assert response.status_code == 400
    error = response.get_json()
    assert error["field"] == "csrf_token" and "X-CSRFToken" in error["error"] and "Bearer" in error["error"]
    assert followups(session) == 0
    # with the page's CSRF token the same write goes through, as from the app's own pages
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/leads").get_data(as_text=True)).group(
        1
    )
    assert client.post(path(world), json=BODY, headers={"X-CSRFToken": token}).status_code == 201
    assert followups(session) == 1


def test_a_token_beside_a_session_cookie_does_not_skip_csrf(app, caller, world, session, csrf_on):
    """The session signs the request in (Flask-Login tries it first), so the CSRF rule holds."""
    client = signed_in(app, world)
    response = client.post(path(world), json=BODY, headers=caller("zs1").headers())
    assert response.status_code == 400 and response.get_json()["field"] == "csrf_token"
    assert followups(session) == 0


def test_reads_with_a_cookie_session_need_no_csrf(app, world, csrf_on):
    assert signed_in(app, world).get("/api/v1/leads").status_code == 200


def test_anonymous_and_bad_tokens_get_401_json(client, caller, world, session, csrf_on):
    for headers in ({}, {"Authorization": "Bearer lyz_not-a-token"}, {"Authorization": "Basic eDp5"}):
        response = client.post(path(world), json=BODY, headers=headers)
        assert response.status_code == 401 and response.get_json()["error"] == "请先登录", headers
    zs1 = caller("zs1")
    revoke_token(session, world["users"]["zs1"], session.scalar(select(ApiToken.id)))
    session.commit()
    assert zs1.post(path(world), json=BODY).status_code == 401
    assert followups(session) == 0


def signed_in(app, world):
    """A browser's cookie session of zs1 (put in the cookie directly: signing in is a form too)."""
    client = app.test_client()
    sign_in_as(client, world["users"]["zs1"])
    return client
