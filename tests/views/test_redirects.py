"""Redirects stay on this site, and signing out takes a POST with the page's CSRF token.

Every place that redirects to a target a request names — ``next`` after sign-in, ``next`` after
marking notifications read, a notification's stored link, the report page's parameters — goes
through ``crm.web.security.safe_redirect_target``; these tests throw the usual tricks at each.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from crm.models import Notification
from crm.web.security import safe_redirect_target
from tests import factories as f

# Each of these would take a browser to another host (or run script) if used as a Location.
NASTY = [
    "//evil.example",
    "///evil.example",
    "////evil.example/a",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\u200b/evil.example",  # zero-width space
    "/\u3000/evil.example",  # ideographic space
    "/\x00/evil.example",
    "https://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",
    "/" + "a" * 3000,
    "",
]
# The same tricks percent-encoded in a query string, as a link would carry them.
NASTY_QUERY_STRINGS = [
    "next=%2F%2Fevil.example",
    "next=%2F%5Cevil.example",
    "next=%2F%09%2Fevil.example",
    "next=/%09/evil.example%3F",  # decoded by the server before the check: a tab
    "next=%2F%0A%2Fevil.example",
    "next=https%3A%2F%2Fevil.example",
    "next=javascript%3Aalert(1)",
    "next=%E2%80%8B%2F%2Fevil.example",
]
GOOD = [
    "/buildings",
    "/leads/7",
    "/companies?q=%E5%A4%A7%E8%BF%9E&page=2",
    "/buildings?street=白云",
    "/reports#briefings",
]


@pytest.mark.parametrize("target", NASTY)
def test_nasty_targets_fall_back(target):
    assert safe_redirect_target(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", GOOD)
def test_paths_on_this_site_are_kept(target):
    assert safe_redirect_target(target, "/fallback") == target


def test_anything_but_a_string_falls_back():
    assert safe_redirect_target(None, "/fallback") == "/fallback"
    assert safe_redirect_target(["/buildings"], "/fallback") == "/fallback"


def location(response) -> str:
    assert response.status_code == 302
    target = response.headers["Location"]
    assert not urlsplit(target).netloc and not urlsplit(target).scheme, target
    return target


@pytest.fixture()
def zs(session):
    user = f.user(session, "zs", "promoter")
    session.commit()
    return user


def sign_in(client, query_string):
    return client.post("/login?" + query_string, data={"username": "zs", "password": f.PASSWORD})


@pytest.mark.parametrize("target", NASTY)
def test_sign_in_never_sends_the_user_off_site(app, zs, target):
    client = app.test_client()
    assert (
        location(client.post("/login", query_string={"next": target}, data={"username": "zs", "password": f.PASSWORD}))
        == "/"
    )
    assert location(client.get("/login", query_string={"next": target})) == "/"  # already signed in


@pytest.mark.parametrize("query_string", NASTY_QUERY_STRINGS)
def test_sign_in_never_follows_an_encoded_trick(app, zs, query_string):
    assert location(sign_in(app.test_client(), query_string)) == "/"


def test_sign_in_returns_to_the_page_asked_for(app, zs):
    assert location(sign_in(app.test_client(), "next=%2Fleads%3Fstage%3Dactive")) == "/leads?stage=active"


@pytest.mark.parametrize("target", NASTY)
def test_marking_notifications_read_never_sends_the_user_off_site(login, zs, target):
    client = login("zs")
    assert location(client.post("/notifications/read-all", data={"next": target})) == "/notifications"


def test_marking_notifications_read_returns_to_the_page(login, zs):
    client = login("zs")
    assert (
        location(client.post("/notifications/read-all", data={"next": "/notifications?page=2"}))
        == "/notifications?page=2"
    )


@pytest.mark.parametrize("link", ["//evil.example", "/\t/evil.example", "https://evil.example", "/\\evil.example"])
def test_a_malformed_stored_link_does_not_leave_the_site(login, session, zs, link):
    n = Notification(
        recipient_id=zs.id,
        kind="followup_digest",
        title="甲",
        body="甲",
        link=link,
        created_at=datetime(2026, 11, 16, tzinfo=timezone.utc),
    )
    session.add(n)
    session.commit()
    assert location(login("zs").post(f"/notifications/{n.id}/read", data={"open": "1"})) == "/notifications"


def test_the_report_page_redirect_takes_only_its_own_parameters(login, session):
    f.user(session, "leader", "leader")
    session.commit()
    response = login("leader").get("/reports/candidates.pdf?year=20x6&_external=1&_scheme=javascript&_anchor=x")
    assert location(response) == "/reports?year=20x6"  # back to the page, which names the bad year


def test_sign_out_is_post_only(login, zs):
    client = login("zs")
    assert client.get("/logout").status_code == 405
    assert client.get("/buildings").status_code == 200  # an <img src="/logout"> signs nobody out
    assert location(client.post("/logout")) == "/login"
    assert client.get("/buildings").status_code == 302


def test_sign_out_needs_the_csrf_token_the_menu_sends(app, zs):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"username": "zs", "password": f.PASSWORD, "csrf_token": token})
        assert client.post("/logout").status_code == 400  # a foreign page's form has no token
        assert client.get("/buildings").status_code == 200
        menu = client.get("/buildings").get_data(as_text=True)
        form = re.search(r'<form method="post" action="/logout".*?</form>', menu, re.S).group(0)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        assert location(client.post("/logout", data={"csrf_token": token})) == "/login"
        assert client.get("/buildings").status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
