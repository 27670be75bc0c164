"""Reminder benchmark: a daily tick on demo data, and what the notification bell costs a page.

    python -m bench.reminders --scale 10            # fresh demo database, then measure
    python -m bench.reminders --scale 10 --reuse    # reuse bench-results/reminders-scale10.db

Loads the demo (``crm.demo.load_demo``, which includes the pipeline's leads) at a fixed as-of
month into a cached SQLite database, copies it, and on the copy times the recording jobs of one
daily tick (follow-up digests, lease-expiry items and digests, escalation, monthly confirmation)
for a day when everything is due for the first time — the worst case: every lease within 90
days and every open month is new. E-mail is configured, so every reminder also records its
e-mail delivery; nothing is sent (sending is network time, not ours). Target: ≤ 5 s.

Then signs in as ``zhaoshang1`` and counts the SQL statements of the dashboard that touch the
notifications table: the bell must add at most one query per page.

Writes bench-results/reminders-scale{N}.json. Exit code 0 even when slower than the target;
2 when the demo data cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
AS_OF = "2026-11"
TODAY = "2026-11-15"
TICK_DAY = date(2026, 12, 2)  # day 2: the confirmation reminders are due as well
TARGET_SECONDS = 5.0
RECORDING_JOBS = ("followup_digest", "lease_expiry", "escalation", "monthly_confirmation")


def cached_database(scale: int, reuse: bool, tmp: Path) -> Path:
    """The demo at ``scale`` in a SQLite file (cached under bench-results/ with --reuse)."""
    cached = RESULTS / f"reminders-scale{scale}.db"
    if reuse and cached.exists():
        return cached
    path = tmp / f"reminders-demo-scale{scale}.db"
    app = make_app(path, tmp)
    from flask_migrate import upgrade

    from crm.demo import load_demo
    from crm.extensions import db

    with app.app_context():
        upgrade()
        started = time.perf_counter()
        load_demo(db.session, scale=scale, as_of=AS_OF, password=app.config["DEMO_PASSWORD"])
        db.session.commit()
        print(f"scale {scale}: demo loaded in {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    if reuse:
        RESULTS.mkdir(exist_ok=True)
        with sqlite3.connect(path) as src, sqlite3.connect(cached) as dst:
            src.backup(dst)
    return path


def make_app(path: Path, tmp: Path):
    os.environ.update(CRM_DATABASE_URL=f"sqlite:///{path}", CRM_INSTANCE_PATH=str(tmp / "instance"), CRM_TODAY=TODAY)
    from crm import create_server_app

    app = create_server_app()
    app.config.update(SMTP_HOST="127.0.0.1", WTF_CSRF_ENABLED=False)  # record e-mail deliveries too
    return app


def time_tick(app) -> dict:
    from flask_migrate import upgrade

    from crm.extensions import db
    from crm.reminders.jobs import JOBS_BY_NAME, run_job
    from crm.models import Delivery, Lead, Lease, Notification, Reminder

    with app.app_context():
        upgrade()
        counts = {
            "leads": db.session.scalar(select(func.count(Lead.id))),
            "leases": db.session.scalar(select(func.count(Lease.id))),
        }
        db.session.commit()
        per_job = {}
        started = time.perf_counter()
        for name in RECORDING_JOBS:
            t = time.perf_counter()
            result = run_job(db.session, JOBS_BY_NAME[name], TICK_DAY, app.config)
            per_job[name] = {
                "seconds": round(time.perf_counter() - t, 3),
                "outcome": result.outcome,
                "detail": result.detail,
            }
        total = time.perf_counter() - started
        recorded = {
            "reminders": db.session.scalar(select(func.count(Reminder.id))),
            "notifications": db.session.scalar(select(func.count(Notification.id))),
            "deliveries": db.session.scalar(select(func.count(Delivery.id))),
        }
        # A second tick of the same day: every job is found done.
        t = time.perf_counter()
        again = [run_job(db.session, JOBS_BY_NAME[name], TICK_DAY, app.config).outcome for name in RECORDING_JOBS]
        second = time.perf_counter() - t
        db.session.remove()
    return {
        "data": counts,
        "seconds": round(total, 3),
        "jobs": per_job,
        "recorded": recorded,
        "second_tick_seconds": round(second, 3),
        "second_tick": again,
    }


def bell_queries(app) -> dict:
    from crm.extensions import db

    client = app.test_client()
    response = client.post("/login", data={"username": "zhaoshang1", "password": app.config["DEMO_PASSWORD"]})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: HTTP {response.status_code}")
    seen = {"all": 0, "notifications": 0}

    def on_execute(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            return
        seen["all"] += 1
        if "notifications" in statement:
            seen["notifications"] += 1

    pages = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", on_execute)
    for url in ("/", "/leads", "/notifications"):
        seen.update(all=0, notifications=0)
        status = client.get(url).status_code
        pages[url] = {"status": status, "queries": seen["all"], "bell_queries": seen["notifications"]}
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return pages


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="reuse bench-results/reminders-scale{N}.db when it exists")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-bench-reminders-") as tmp:
        tmp = Path(tmp)
        try:
            source = cached_database(args.scale, args.reuse, tmp)
        except Exception as error:
            print(f"could not load the scale-{args.scale} demo: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
        work = tmp / "tick.db"
        with sqlite3.connect(source) as src, sqlite3.connect(work) as dst:
            src.backup(dst)
        app = make_app(work, tmp)
        tick = time_tick(app)
        pages = bell_queries(app)
        with app.app_context():
            from crm.extensions import db

            db.engine.dispose()
        shutil.rmtree(tmp / "instance", ignore_errors=True)

    flag = "OK" if tick["seconds"] <= TARGET_SECONDS else "SLOW"
    print(
        f"\nscale {args.scale}: {tick['data']['leads']:,} leads, {tick['data']['leases']:,} leases; tick day {TICK_DAY}"
    )
    for name, job in tick["jobs"].items():
        print(f"  {name:<22} {job['seconds']:>7.3f} s  {job['outcome']:<6} {job['detail']}")
    print(f"  {'recording total':<22} {tick['seconds']:>7.3f} s  {flag} (target ≤ {TARGET_SECONDS:.0f} s)")
    print(
        f"  recorded: {tick['recorded']['reminders']:,} reminders, {tick['recorded']['notifications']:,} notifications, "
        f"{tick['recorded']['deliveries']:,} deliveries"
    )
    print(f"  second tick of the same day: {tick['second_tick_seconds']:.3f} s, {tick['second_tick']}")
    print("\nbell (zhaoshang1):")
    for url, row in pages.items():
        print(
            f"  {url:<16} HTTP {row['status']}  {row['queries']:>3} queries, {row['bell_queries']} touching notifications"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"reminders-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "as_of": AS_OF,
                "tick_day": TICK_DAY.isoformat(),
                "target_seconds": TARGET_SECONDS,
                "tick": tick,
                "pages": pages,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
