"""Page benchmark: server time and SQL query counts of the main pages on demo data.

    python -m bench.pages --scale 10            # what ``make bench`` runs
    python -m bench.pages --scale 10 --reuse    # reuse bench-results/demo-scale10.db

Builds a fresh SQLite database (migrations + ``crm.demo.load_demo`` at a fixed as-of month),
signs in with the Flask test client as ``leader`` and as the manager ``louyu1``, and times each
page: its first view with the figure cache emptied ("cold": ms and SQL statements — what the
first reader after a write to leases or tax waits), then 3 warm-ups and ``--requests`` requests
→ p50/p95 in ms (through the cache). The same pages are then counted on a scale-1 database
(``--compare-scale``): a count that grows with the scale is an N+1 query.

Prints a table and writes it to bench-results/pages-scale{N}.json. Exit code 0 even when a page
is slower than the target (a benchmark reports, it does not fail); 1 when a page does not answer
200, 2 when the demo data cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
TODAY = "2026-11-15"
AS_OF = "2026-11"
TARGET_P95_MS = 150.0
WARMUPS = 3
USERS = ("leader", "louyu1")
SEARCH = "科技"  # a common fragment of demo company names


class QueryCounter:
    """Counts the SQL statements an engine runs (transaction control and pragmas excluded)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            self.count += 1


def build_app(scale: int, reuse: bool, tmp: Path):
    """An app on a migrated database holding the scale-``scale`` demo; returns (app, load seconds)."""
    cached = RESULTS / f"demo-scale{scale}.db"
    path = cached if reuse and cached.exists() else tmp / f"demo-scale{scale}.db"
    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{path}",
        CRM_INSTANCE_PATH=str(tmp / f"instance{scale}"),
        CRM_TODAY=TODAY,
    )
    from flask_migrate import upgrade

    from crm import create_server_app
    from crm.extensions import db
    from crm.models import Building

    app = create_server_app()
    load_seconds = None
    with app.app_context():
        upgrade()
        if db.session.scalar(select(Building.id).limit(1)) is None:
            from crm.demo import load_demo

            started = time.perf_counter()
            load_demo(db.session, scale=scale, as_of=AS_OF, password=app.config["DEMO_PASSWORD"])
            db.session.commit()
            load_seconds = time.perf_counter() - started
            if reuse:
                RESULTS.mkdir(exist_ok=True)
                with sqlite3.connect(path) as src, sqlite3.connect(cached) as dst:
                    src.backup(dst)
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    # One process, and "cold" means the first view after a write, which no stored part serves:
    # the parts' store shared by a host's workers stays off (``make loadtest`` measures it).
    app.config["FRAGMENT_CACHE_DIR"] = ""
    return app, load_seconds


def largest_building_code(app, username: str) -> str:
    """Code of the building with most units among those the user may see."""
    from crm.extensions import db
    from crm.models import Building, Unit, User, user_buildings

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        stmt = select(Building.code).join(Unit, Unit.building_id == Building.id)
        if user.role == "manager":
            stmt = stmt.join(user_buildings, user_buildings.c.building_id == Building.id).where(
                user_buildings.c.user_id == user.id
            )
        code = db.session.scalar(
            stmt.group_by(Building.id).order_by(func.count(Unit.id).desc(), Building.code).limit(1)
        )
        db.session.remove()
    return code


def pages_for(app, username: str) -> list[str]:
    return [
        "/",
        "/buildings",
        f"/buildings/{largest_building_code(app, username)}",
        f"/companies?q={SEARCH}",
        "/api/v1/summary",
        "/api/v1/buildings",
    ]


def signed_in_client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": app.config["DEMO_PASSWORD"]})
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {username} failed: HTTP {response.status_code}")
    return client


def measure(app, counter: QueryCounter, username: str, requests: int) -> list[dict]:
    """Per page: the first view after the figure cache is emptied (ms and queries — the page
    after a write to leases or tax), then p50/p95 ms over ``requests`` requests after warm-ups."""
    import crm.cache as figure_cache

    client = signed_in_client(app, username)
    rows = []
    for url in pages_for(app, username):
        times, statuses = [], Counter()
        figure_cache.clear()
        counter.count = 0
        started = time.perf_counter()
        statuses[client.get(url).status_code] += 1
        cold_ms, cold_queries = (time.perf_counter() - started) * 1000, counter.count
        for i in range(WARMUPS + requests):
            counter.count = 0
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            statuses[response.status_code] += 1
            if i >= WARMUPS:
                times.append(elapsed)
        p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]
        rows.append(
            {
                "user": username,
                "page": url,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95, 1),
                "queries": cold_queries,
                "warm_queries": counter.count,
                "cold_ms": round(cold_ms, 1),
                "statuses": statuses,
            }
        )
    return rows


class DemoUnavailable(RuntimeError):
    """crm.demo is missing or failed: there is nothing to measure."""


def load(scale: int, reuse: bool, tmp: Path, loads: dict):
    """``build_app`` that reports the load time (None when reused) into ``loads``."""
    try:
        app, seconds = build_app(scale, reuse, tmp)
    except Exception as error:
        raise DemoUnavailable(f"could not load the scale-{scale} demo: {type(error).__name__}: {error}") from error
    loads[scale] = None if seconds is None else round(seconds, 2)
    print(f"scale {scale}: demo " + ("reused from cache" if seconds is None else f"loaded in {seconds:.1f} s"))
    return app


def engine_counter(app) -> QueryCounter:
    from crm.extensions import db

    with app.app_context():
        return QueryCounter(db.engine)


def ljust(text: str, width: int) -> str:
    """Pad to a terminal width: CJK characters take two columns."""
    return text + " " * (width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def print_table(rows: list[dict], scale: int, compare) -> None:
    header = f"{'user':<8} {'page':<28} {'cold ms':>8} {'p50 ms':>8} {'p95 ms':>8} {f'q@{compare}':>6} {f'q@{scale}':>6}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        q1 = "—" if r["queries_compare"] is None else str(r["queries_compare"])
        print(
            f"{r['user']:<8} {ljust(r['page_kind'], 28)} {r['cold_ms']:>8.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {q1:>6} {r['queries']:>6}  "
            + "  ".join(r["flags"])
        )


def page_kind(url: str) -> str:
    """The page without the building code, so rows of both scales line up."""
    return "/buildings/<code>" if url.startswith("/buildings/") else url


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--compare-scale", type=int, default=1, help="scale counted for N+1 checks; 0 to skip")
    parser.add_argument("--reuse", action="store_true", help="reuse bench-results/demo-scale{N}.db when it exists")
    args = parser.parse_args(argv)

    loads = {}
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        try:
            app = load(args.scale, args.reuse, Path(tmp), loads)
            rows = [r for user in USERS for r in measure(app, engine_counter(app), user, args.requests)]
            compare = {}
            if args.compare_scale:
                small = load(args.compare_scale, args.reuse, Path(tmp), loads)
                counter = engine_counter(small)
                compare = {(user, page_kind(r["page"])): r for user in USERS for r in measure(small, counter, user, 1)}
        except DemoUnavailable as error:
            print(error, file=sys.stderr)
            return 2

    failed = False
    for r in rows:
        r["page_kind"] = page_kind(r["page"])
        small = compare.get((r["user"], r["page_kind"]))
        r["queries_compare"] = small["queries"] if small else None
        statuses = r["statuses"] + (small["statuses"] if small else Counter())
        errors = {code: n for code, n in statuses.items() if code != 200}
        r["flags"] = ["OK" if r["p95_ms"] <= TARGET_P95_MS else "SLOW"]
        if small and small["queries"] != r["queries"]:
            r["flags"].append("N+1?")
        if errors:
            r["flags"].append("ERROR " + ",".join(f"HTTP {c}×{n}" for c, n in errors.items()))
            failed = True

    print(
        f"\n{args.requests} requests after {WARMUPS} warm-ups, as of {AS_OF} (today {TODAY}), "
        f"target p95 ≤ {TARGET_P95_MS:.0f} ms\n"
    )
    print_table(rows, args.scale, args.compare_scale or "—")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"pages-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "compare_scale": args.compare_scale or None,
                "requests": args.requests,
                "warmups": WARMUPS,
                "as_of": AS_OF,
                "today": TODAY,
                "target_p95_ms": TARGET_P95_MS,
                "load_seconds": loads,
                "pages": [
                    {k: v for k, v in r.items() if k != "statuses"}
                    | {"statuses": {str(c): n for c, n in r["statuses"].items()}}
                    for r in rows
                ],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
