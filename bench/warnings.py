"""Warnings benchmark at demo scale: evaluating every rule, and the /warnings page.

    python -m bench.warnings --scale 10            # builds the demo database (a few minutes)
    python -m bench.warnings --scale 10 --reuse    # reuses bench-results/warnings-scale10.db

Loads the demo as of 2026-11 into a cached SQLite file, copies it, and on the copy times for
2026-11-15:

- the first evaluation of all rules (``crm.warnings.evaluate.evaluate``: every warning new,
  owners found, notifications recorded) and a second one (nothing new: the daily steady state),
  target ≤ 5 s each;
- then ``seed_warnings`` (a few handled), and ``GET /warnings`` as the admin and as a building
  manager, and with a rule filter: ``--requests`` requests each after a warm-up, p50 and p95,
  target p95 ≤ 150 ms, with the SQL statements of one request (the same for every page size).

Writes bench-results/warnings-scale{N}.json. Exit code 0 even when slower than a target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
AS_OF = "2026-11"
TODAY = date(2026, 11, 15)
TARGETS = {"evaluate_s": 5.0, "page_p95_ms": 150.0}


def make_app(path: Path, instance: Path):
    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{path}", CRM_INSTANCE_PATH=str(instance), CRM_TODAY=TODAY.isoformat()
    )
    from crm import create_server_app

    return create_server_app()


def cached_database(scale: int, reuse: bool, tmp: Path) -> Path:
    cached = RESULTS / f"warnings-scale{scale}.db"
    if reuse and cached.exists():
        return cached
    path = tmp / f"warnings-demo-scale{scale}.db"
    app = make_app(path, tmp / "instance")
    from flask_migrate import upgrade

    from sqlalchemy import delete

    from crm.demo import load_demo
    from crm.extensions import db
    from crm.models import EarlyWarning, EarlyWarningNote

    with app.app_context():
        upgrade()
        started = time.perf_counter()
        load_demo(db.session, scale=scale, as_of=AS_OF, password=app.config["DEMO_PASSWORD"], today=TODAY)
        # The demo comes with its warnings; the benchmark times the first evaluation, so starts without.
        db.session.execute(delete(EarlyWarningNote))
        db.session.execute(delete(EarlyWarning))
        db.session.commit()
        print(f"scale {scale}: demo loaded in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    if reuse:
        RESULTS.mkdir(exist_ok=True)
        with sqlite3.connect(path) as src, sqlite3.connect(cached) as dst:
            src.backup(dst)
    return path


def time_evaluation(db) -> dict:
    from crm.warnings.evaluate import evaluate

    result = {}
    for name in ("first", "second"):
        started = time.perf_counter()
        outcome = evaluate(db.session, TODAY)
        db.session.commit()
        result[name] = {"s": round(time.perf_counter() - started, 3), "summary": outcome.summary()}
    return result


def time_page(app, username: str, path: str, requests: int) -> dict:
    from sqlalchemy import event

    from crm.extensions import db

    client = app.test_client()
    signed = client.post("/login", data={"username": username, "password": app.config["DEMO_PASSWORD"]})
    assert signed.status_code == 302, signed.status_code
    for _ in range(3):
        assert client.get(path).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    count = [0]

    def on_execute(*_):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    client.get(path)
    event.remove(engine, "before_cursor_execute", on_execute)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
    return {
        "path": path,
        "user": username,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "queries": count[0],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="reuse bench-results/warnings-scale{N}.db")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-warnings-") as tmp_name:
        tmp = Path(tmp_name)
        copy = tmp / "measured.db"
        shutil.copyfile(cached_database(args.scale, args.reuse, tmp), copy)  # warnings are written: never the cache
        app = make_app(copy, tmp / "instance-measured")
        app.config["WTF_CSRF_ENABLED"] = False  # the benchmark signs in with a plain POST
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from crm.extensions import db
        from crm.models import Building, Company, EarlyWarning, Lease, TaxRecord
        from crm.warnings.demo import seed_warnings

        with app.app_context():
            upgrade()
            counts = {
                model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Building, Company, Lease, TaxRecord)
            }
            evaluation = time_evaluation(db)
            for name, run in evaluation.items():
                print(f"evaluate all rules ({name}): {run['s']:.2f} s — {run['summary']}", flush=True)
            seed_warnings(db.session, TODAY)
            db.session.commit()
            counts["warnings"] = db.session.scalar(select(func.count(EarlyWarning.id)))
            db.session.remove()
        pages = [
            time_page(app, user, path, args.requests)
            for user, path in (
                ("admin", "/warnings"),
                ("louyu1", "/warnings"),
                ("admin", "/warnings?rule=lease_expiry&state=open"),
            )
        ]
    result = {"scale": args.scale, "data": counts, "evaluate": evaluation, "pages": pages, "targets": TARGETS}
    print(f"\nscale {args.scale}: {counts}")
    for name, run in evaluation.items():
        ok = run["s"] <= TARGETS["evaluate_s"]
        print(
            f"evaluate all rules ({name}): {run['s']:.2f} s (≤ {TARGETS['evaluate_s']:.0f} s {'✓' if ok else '✗'}) — {run['summary']}"
        )
    for page in pages:
        ok = page["p95_ms"] <= TARGETS["page_p95_ms"]
        print(
            f"GET {page['path']} as {page['user']}: p50 {page['p50_ms']} ms, p95 {page['p95_ms']} ms "
            f"(≤ {TARGETS['page_p95_ms']:.0f} ms {'✓' if ok else '✗'}), {page['queries']} queries"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"warnings-scale{args.scale}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
