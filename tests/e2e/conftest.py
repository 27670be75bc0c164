"""Browser tests: the app served on 127.0.0.1 with the scale-1 demo data (with its 属地化 work list and
its warnings, as of the served day ``TODAY``), driven by Playwright
through Debian's Chromium. Without Chromium they skip — unless CRM_REQUIRE_BROWSER is set (CI),
where a skip would hide a broken journey, so it fails instead."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from crm import create_app
from crm.config import TestingConfig

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_AS_OF = "2026-11"
TODAY = "2026-11-15"
PASSWORD = "xigang-demo-2026"


def _require_browser():
    problem = None
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail(f"browser test cannot run: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """The app the browser tests are served, over its own database holding the demo; a journey
    reads it (inside ``served_app.app_context()``) to pick the record it follows."""
    _require_browser()
    instance = tmp_path_factory.mktemp("e2e-instance")
    config = TestingConfig(str(instance), database_url="sqlite:///" + str(instance / "e2e.db"))
    config.TODAY = TODAY
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from crm.demo import load_demo
        from crm.extensions import db

        upgrade()
        load_demo(db.session, scale=1, as_of=DEMO_AS_OF, password=PASSWORD, today=date.fromisoformat(TODAY))
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def live_server(served_app):
    server = make_server("127.0.0.1", 0, served_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def clicks_wait_for_the_page_they_open():
    """A click that opens a page returns as soon as the page starts loading, and counts,
    visibility checks and ``evaluate_all`` do not wait: read at once, on a busy machine, they saw
    a page half built (the parser held at a stylesheet, the form not there yet). Here every click
    also waits for the load of the page it led to — at once when it opened none."""
    try:
        from playwright.sync_api import Locator, Page
    except ImportError:  # no browser tests here: they skip
        yield
        return

    def waiting(click, page_of):
        def click_then_wait(self, *args, **kwargs):
            click(self, *args, **kwargs)
            page_of(self).wait_for_load_state("load")

        return click_then_wait

    originals = Page.click, Locator.click
    Page.click = waiting(Page.click, lambda page: page)
    Locator.click = waiting(Locator.click, lambda locator: locator.page)
    yield
    Page.click, Locator.click = originals


@pytest.fixture()
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def sign_in(page):
    def do(username):
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return do


@pytest.fixture()
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def shoot(page, name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return shoot
