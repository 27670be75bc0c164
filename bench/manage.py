"""Building-manager benchmark: recording a move-in, and the building page right after it.

    python -m bench.manage --scale 10            # fresh demo database in a temporary folder
    python -m bench.manage --scale 10 --reuse    # start from a copy of bench-results/demo-scale10.db

Signs in as the manager ``louyu1`` and, on their building with the most units, records
``--requests`` move-ins (after 3 warm-ups) through the real form — an existing tenant named by
its 统一社会信用代码, into one vacant unit, for a single future day each so they never clash —
and renders the building page after each. Reports p50/p95 ms of both and the SQL statements of
the last request. The building page's query count is also taken before the move-ins (fewer
leases and history rows) and on a scale-1 database: the three must be equal (no N+1).
Target: p95 ≤ 150 ms each. The cached database is copied, never written to.

Writes bench-results/manage-scale{N}.json. Exit 1 when a request does not answer as expected.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench import pages
from bench.pages import RESULTS, ROOT, TODAY, WARMUPS, QueryCounter, largest_building_code, signed_in_client

TARGET_P95_MS = 150.0
USER = "louyu1"
FIRST_DAY = date(2027, 1, 1)  # after every demo lease starts, and in no confirmed month


def prepare(scale: int, reuse: bool, tmp: Path):
    """An app on a private copy of the scale-``scale`` demo (loaded when there is no cache)."""
    cached = RESULTS / f"demo-scale{scale}.db"
    target = tmp / f"demo-scale{scale}.db"
    if reuse and cached.exists():
        with sqlite3.connect(cached) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        print(f"scale {scale}: copied {cached.relative_to(ROOT)}")
    app, seconds = pages.build_app(scale, False, tmp)
    if seconds is not None:
        print(f"scale {scale}: demo loaded in {seconds:.1f} s")
        if reuse:
            RESULTS.mkdir(exist_ok=True)
            shutil.copyfile(target, cached)
    return app


def move_in_target(app, code: str) -> tuple[str, int]:
    """(USCC of a tenant of the building, a unit free from FIRST_DAY on)."""
    from crm.extensions import db
    from crm.models import Building, Company, Lease
    from crm.services.leases import clashes
    from crm.services.units import unit_states

    with app.app_context():
        building = db.session.scalar(select(Building).where(Building.code == code))
        uscc = db.session.scalar(
            select(Company.uscc)
            .join(Lease, Lease.company_id == Company.id)
            .where(Lease.building_id == building.id, Company.uscc.is_not(None))
            .order_by(Company.id)
            .limit(1)
        )
        today = date.fromisoformat(TODAY)
        for state in unit_states(db.session, building, today):
            if state.status == "vacant" and not clashes(db.session, [state.unit], FIRST_DAY, None):
                unit_id = state.unit.id
                break
        else:
            raise SystemExit(f"no vacant unit in {code} to move into")
        db.session.remove()
    return uscc, unit_id


def percentile_95(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]


def summary(times: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(percentile_95(times), 1)}


def page_queries(client, counter: QueryCounter, url: str) -> int:
    counter.count = 0
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return counter.count


def run(app, requests: int) -> dict:
    from crm.extensions import db
    from crm.models import ChangeLog, Lease

    with app.app_context():
        counter = QueryCounter(db.engine)
    code = largest_building_code(app, USER)
    uscc, unit_id = move_in_target(app, code)
    client = signed_in_client(app, USER)
    page_url = f"/buildings/{code}"
    queries_before = page_queries(client, counter, page_url)

    post_times, page_times, failures = [], [], []
    post_queries = page_queries_after = 0
    for i in range(WARMUPS + requests):
        day = (FIRST_DAY + timedelta(days=i)).isoformat()
        form = {"company": uscc, "units": str(unit_id), "start_date": day, "end_date": day}
        counter.count = 0
        started = time.perf_counter()
        response = client.post(f"/buildings/{code}/move-in", data=form)
        elapsed = (time.perf_counter() - started) * 1000
        post_queries = counter.count
        if response.status_code != 302:
            failures.append(f"move-in {day}: HTTP {response.status_code}")
        counter.count = 0
        started = time.perf_counter()
        response = client.get(page_url)
        page_elapsed = (time.perf_counter() - started) * 1000
        page_queries_after = counter.count
        if response.status_code != 200:
            failures.append(f"{page_url}: HTTP {response.status_code}")
        if i >= WARMUPS:
            post_times.append(elapsed)
            page_times.append(page_elapsed)

    with app.app_context():
        leases = db.session.scalar(select(func.count(Lease.id)))
        history = db.session.scalar(select(func.count(ChangeLog.id)))
        db.session.remove()
    return {
        "building": code,
        "move_in": summary(post_times) | {"queries": post_queries},
        "building_page": summary(page_times)
        | {"queries": page_queries_after, "queries_before_move_ins": queries_before},
        "leases": leases,
        "history_rows": history,
        "failures": failures,
    }


def scale_one_page_queries(tmp: Path, reuse: bool) -> int:
    app = prepare(1, reuse, tmp)
    from crm.extensions import db

    with app.app_context():
        counter = QueryCounter(db.engine)
    client = signed_in_client(app, USER)
    return page_queries(client, counter, f"/buildings/{largest_building_code(app, USER)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="start from a copy of bench-results/demo-scale{N}.db")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-bench-manage-") as tmp:
        result = run(prepare(args.scale, args.reuse, Path(tmp)), args.requests)
        (Path(tmp) / "scale1").mkdir()
        result["building_page"]["queries_scale1"] = scale_one_page_queries(Path(tmp) / "scale1", args.reuse)

    page = result["building_page"]
    same = page["queries"] == page["queries_before_move_ins"] == page["queries_scale1"]
    print(
        f"\nscale {args.scale}, {args.requests} requests after {WARMUPS} warm-ups as {USER} on {result['building']} "
        f"(today {TODAY}); target p95 ≤ {TARGET_P95_MS:.0f} ms\n"
    )
    for name, row in (("record a move-in (POST)", result["move_in"]), ("building page after it", page)):
        flag = "OK" if row["p95_ms"] <= TARGET_P95_MS else "SLOW"
        print(
            f"{pages.ljust(name, 26)} p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  "
            f"{row['queries']:>3} queries  {flag}"
        )
    print(
        f"building page queries: {page['queries_before_move_ins']} before the move-ins, {page['queries']} after "
        f"({result['leases']:,} leases, {result['history_rows']:,} history rows), {page['queries_scale1']} at scale 1"
        + ("" if same else "  N+1?")
    )
    for failure in result["failures"][:5]:
        print("ERROR", failure)

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"manage-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "requests": args.requests,
                "warmups": WARMUPS,
                "today": TODAY,
                "target_p95_ms": TARGET_P95_MS,
                **result,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
