"""Filling the host's store before the web server starts (``crm cache warm``).

After a start, every worker's first views compute what the host's store (``crm/cache/store.py``)
does not hold yet: the district's figures and every building's page parts. Under a busy
morning's load those first views queue behind one another, and the first minute after a deploy
was the slowest of the day (``make loadtest``: pages p95 535–674 ms in its first 40 s, 87–255 ms
afterwards). Run between ``crm db upgrade`` and the server's start, this command opens, as a
leader (who sees every building), the pages every role lands on — the dashboard, the building
list, each building and its tax, the tax and report pages — through the app itself, so what they
compute is kept exactly as a first view would keep it. Only the store on disk outlives the
command; a write to the data changes the tokens its entries are kept under, so nothing it keeps
can be shown stale. A manager's own view of a building's tenants (their scope) stays a first view.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select

from crm.cache import store
from crm.extensions import db
from crm.models import Building, User

LANDING_PAGES = ("/", "/buildings", "/tax", "/reports")


@dataclass
class Warmed:
    pages: int = 0
    failed: int = 0
    seconds: float = 0.0
    skipped: str | None = None  # why nothing was warmed


def warm_host_store(app) -> Warmed:
    """Open the landing pages and every building's pages as the first active leader; returns
    what was done (nothing, with the reason, without a store or a leader who may read pages)."""
    started = time.perf_counter()
    with app.app_context():
        if store.directory() is None:
            return Warmed(skipped="未配置共享缓存目录（CRM_FRAGMENT_CACHE_DIR 为空）")
        leader = db.session.scalar(
            select(User)
            .where(User.role == "leader", User.active.is_(True), User.must_change_password.is_(False))
            .order_by(User.id)
            .limit(1)
        )
        if leader is None:
            return Warmed(skipped="没有可用的领导账号（需为启用状态且无须修改密码）")
        token = leader.get_id()
        codes = list(db.session.scalars(select(Building.code).order_by(Building.code)))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = token, True
    done = Warmed()
    for path in (
        *LANDING_PAGES,
        *(page for code in codes for page in (f"/buildings/{code}", f"/buildings/{code}/tax")),
    ):
        with app.app_context():  # a request of its own, as in the server (a command runs in one)
            status = client.get(path).status_code
        done.pages += 1
        done.failed += int(status != 200)
    done.seconds = time.perf_counter() - started
    return done
