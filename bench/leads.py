"""Leads benchmark: /leads, /leads/board and the dashboard at the demo's 2,000 leads and at
``--leads`` (20,000), to show that the pipeline pages do not grow with the number of leads.

    python -m bench.leads --leads 20000 --reuse   # reuse bench-results/leads-20000.db

The small database is bench-results/demo-scale10.db (``bench.pages`` builds it); the large one is
a copy whose pipeline is grown to ``--leads`` by copying the demo's leads, with their target
buildings, follow-ups and stage changes (ids shifted, names numbered) — the same mix of stages,
owners and dates, ten times over. Each page is timed warm (p50/p95 over ``--requests`` after
warm-ups), after a lead was written (a follow-up recorded before each request: on a busy day
most views of these pages), and cold (the figure cache emptied before each
request: the first view after a write to leases or tax). Target: p95 grows at most 1.5× from the small to the
large database, and stays ≤ 150 ms.

Writes bench-results/leads-{N}.json. Exit 1 when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import RESULTS, WARMUPS, signed_in_client

GROWTH_LIMIT = 1.5
TARGET_P95_MS = 150.0
PAGES = (("zhaoshang1", "/leads"), ("zhaoshang1", "/leads/board"), ("leader", "/"))
COPIED = {  # table: its columns that hold a lead's id (shifted with the copy); its own id moves past its rows
    "leads": ("id", "merged_into_id"),
    "lead_target_buildings": ("lead_id",),
    "followups": ("lead_id",),
    "lead_stage_changes": ("lead_id",),
}


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]


def grow(path: Path, leads: int) -> None:
    """Copy the leads of ``path`` (with their targets, follow-ups, stage changes) until it holds ``leads``."""
    with sqlite3.connect(path) as db:
        base = db.execute("SELECT count(*), max(id) FROM leads").fetchone()
        count, span = base
        copy = 1
        while count < leads:
            take = min(leads - count, base[0])
            last = db.execute(
                "SELECT id FROM leads WHERE id <= ? ORDER BY id LIMIT 1 OFFSET ?", (span, take - 1)
            ).fetchone()[0]
            offset = copy * span
            for table, shifted in COPIED.items():
                names = columns(db, table)
                own = (
                    db.execute(f'SELECT max(id) FROM "{table}"').fetchone()[0]
                    if "id" in names and table != "leads"
                    else 0
                )
                picks = []
                for name in names:
                    if name in shifted:
                        picks.append(f'"{name}" + {offset}')
                    elif name == "id":
                        picks.append(f'"id" + {own}')
                    elif name in ("company_name", "name_key"):
                        picks.append(f"\"{name}\" || '{copy}'")
                    else:
                        picks.append(f'"{name}"')
                where = "id" if table == "leads" else "lead_id"
                db.execute(
                    f'INSERT INTO "{table}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                    f'SELECT {", ".join(picks)} FROM "{table}" WHERE {where} <= {last}'
                )
            count += take
            copy += 1
        token = secrets.token_hex(8)
        db.execute("UPDATE data_versions SET token = ? WHERE name = 'pipeline'", (token,))
        db.execute("INSERT INTO lead_changes (lead_id, token) VALUES (NULL, ?)", (token,))  # any lead
        db.execute("ANALYZE")


def build(leads: int, reuse: bool, tmp: Path):
    """An app on the demo database grown to ``leads`` leads (None: the demo as it is)."""
    source = RESULTS / "demo-scale10.db"
    if not source.exists():
        raise SystemExit("bench-results/demo-scale10.db is missing: run python -m bench.pages --scale 10 --reuse first")
    grown = False
    if leads is None:
        path = tmp / "demo-2k.db"
        shutil.copy(source, path)
    else:
        path = RESULTS / f"leads-{leads}.db"
        if not (reuse and path.exists()):
            for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)  # a journal of an earlier copy would corrupt this one
            shutil.copy(source, path)
            grown = True
    import os

    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{path}", CRM_INSTANCE_PATH=str(tmp / "instance"), CRM_TODAY="2026-11-15"
    )
    from flask_migrate import upgrade

    from crm import create_server_app

    app = create_server_app()
    with app.app_context():
        upgrade()  # a database kept from an earlier release
    if grown:
        started = time.perf_counter()
        grow(path, leads)
        print(f"grown to {leads:,} leads in {time.perf_counter() - started:.1f} s")
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["FRAGMENT_CACHE_DIR"] = ""  # one process: "cold" is served by nothing stored
    return app


def timed(client, url: str, requests: int, before=None) -> dict:
    times = []
    for i in range(WARMUPS + requests):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if i >= WARMUPS:
            times.append(elapsed)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1)}


def lead_written(app):
    """A follow-up recorded on an active lead before each request, as a promoter records it:
    the pipeline's data version changes and the journal names the lead."""
    import random
    from datetime import date

    from sqlalchemy import select

    from crm.extensions import db
    from crm.models import Lead
    from crm.models.lead import ACTIVE_STAGES
    from crm.services.followups import add_followup

    today = date.fromisoformat("2026-11-15")
    rng = random.Random(7)
    with app.app_context():
        active = list(
            db.session.scalars(select(Lead.id).where(Lead.stage.in_(ACTIVE_STAGES), Lead.merged_into_id.is_(None)))
        )
        db.session.remove()

    def write():
        with app.app_context():
            lead = db.session.get(Lead, rng.choice(active))
            add_followup(db.session, lead, lead.owner, today, "电话", "基准测试回访")
            db.session.commit()
            db.session.remove()

    return write


def measure(app, requests: int) -> dict:
    from sqlalchemy import func, select

    import crm.cache as cache
    from crm.extensions import db
    from crm.models import Lead

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Lead))
        db.session.remove()
    clients = {user: signed_in_client(app, user) for user in {u for u, _ in PAGES}}
    modes = {"warm": None, "written": lead_written(app), "cold": cache.clear}
    pages = {
        url: {mode: timed(clients[user], url, requests, before) for mode, before in modes.items()}
        for user, url in PAGES
    }
    return {"leads": count, "pages": pages}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--scale", type=int, default=10, help="ignored: the demo of scale 10 is the base")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-leads-") as tmp:
        for leads in (None, args.leads):
            results.append(measure(build(leads, args.reuse, Path(tmp)), args.requests))
    small, large = results
    print(
        f"\n{small['leads']:,} → {large['leads']:,} leads; {args.requests} requests after {WARMUPS} warm-ups; "
        "written = a follow-up recorded before each request; "
        f"cold = figure cache emptied; target ≤ {GROWTH_LIMIT}× and p95 ≤ {TARGET_P95_MS:.0f} ms\n"
    )
    print(
        f"{'page':<14} {'':<7} {'p50 small':>10} {'p95 small':>10} {'p50 large':>10} {'p95 large':>10} {'growth':>7}  result"
    )
    for url in small["pages"]:
        for mode in ("warm", "written", "cold"):
            a, b = small["pages"][url][mode], large["pages"][url][mode]
            growth = b["p95_ms"] / a["p95_ms"] if a["p95_ms"] else 0
            ok = growth <= GROWTH_LIMIT and b["p95_ms"] <= TARGET_P95_MS
            print(
                f"{url:<14} {mode:<7} {a['p50_ms']:>10.1f} {a['p95_ms']:>10.1f} {b['p50_ms']:>10.1f} {b['p95_ms']:>10.1f} "
                f"{growth:>6.2f}×  {'OK' if ok else 'SLOW'}"
            )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"leads-{args.leads}.json"
    out.write_text(
        json.dumps({"small": small, "large": large, "requests": args.requests}, ensure_ascii=False, indent=2)
    )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
