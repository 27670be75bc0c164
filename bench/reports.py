"""Tax and candidate benchmark at demo scale: the candidate computation, the PDF, the district
tax page and a building's tax tab.

    python -m bench.reports --scale 10            # builds the demo database (a few minutes)
    python -m bench.reports --scale 10 --reuse    # reuses bench-results/demo-scale10.db

Uses ``bench.pages.build_app`` (migrations + ``crm.demo.load_demo`` as of 2026-11). Targets
candidate computation ≤ 1 s, PDF ≤ 3 s, district tax page p95 ≤ 300 ms. Each is timed
after one warm-up; pages over ``--requests`` requests with the SQL statement count of the last
one. Prints a table and writes bench-results/reports-scale{N}.json; exit 0 even when slower than
a target (a benchmark reports, it does not fail), 1 when something does not answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.pages import AS_OF, RESULTS, ROOT, DemoUnavailable, engine_counter, load, signed_in_client

YEAR = int(AS_OF[:4])
TARGETS = {"candidates": 1000.0, "pdf": 3000.0, "/tax": 300.0, "/buildings/<code>/tax": 300.0, "/reports": 300.0}


def timed(fn, runs: int) -> tuple[list[float], object]:
    fn()  # warm-up: caches, font registration
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]


def measure_services(app, runs: int) -> list[dict]:
    from crm.extensions import db
    from crm.reports.candidates import build_candidates_pdf
    from crm.services.candidates import as_json, candidate_report
    from crm.services.periods import BUSINESS_TZ

    with app.app_context():
        compute, report = timed(lambda: candidate_report(db.session, YEAR), runs)
        data = as_json(report)
        pdf_times, pdf = timed(lambda: build_candidates_pdf(data, datetime.now(BUSINESS_TZ)), runs)
        end_to_end, _ = timed(
            lambda: build_candidates_pdf(as_json(candidate_report(db.session, YEAR)), datetime.now(BUSINESS_TZ)), runs
        )
        db.session.remove()
    note = f"as of {data['as_of']}: {len(data['yi_buildings'])} 亿元楼, {len(data['candidates'])} candidates"
    return [
        {"what": "candidates", "p50_ms": statistics.median(compute), "max_ms": max(compute), "note": note},
        {
            "what": "pdf",
            "p50_ms": statistics.median(pdf_times),
            "max_ms": max(pdf_times),
            "note": f"{len(pdf) // 1024} KiB; with the computation {max(end_to_end):.0f} ms",
        },
    ]


def measure_pages(app, requests: int) -> list[dict]:
    from sqlalchemy import func, select

    from crm.extensions import db
    from crm.models import Building, BuildingTaxMonth

    with app.app_context():
        code = db.session.scalar(
            select(Building.code)
            .join(BuildingTaxMonth, BuildingTaxMonth.building_id == Building.id)
            .group_by(Building.code)
            .order_by(func.sum(BuildingTaxMonth.total_tax).desc())
            .limit(1)
        )
        db.session.remove()
    counter = engine_counter(app)
    client = signed_in_client(app, "leader")
    rows = []
    for label, url in [("/tax", "/tax"), ("/buildings/<code>/tax", f"/buildings/{code}/tax"), ("/reports", "/reports")]:
        times, statuses = [], set()

        def get():
            counter.count = 0
            response = client.get(url)
            statuses.add(response.status_code)
            return response

        times, _ = timed(get, requests)
        rows.append(
            {
                "what": label,
                "p50_ms": statistics.median(times),
                "p95_ms": p95(times),
                "max_ms": max(times),
                "note": f"{counter.count} queries" + ("" if statuses == {200} else f", HTTP {sorted(statuses)}"),
            }
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the computation and the PDF")
    parser.add_argument("--reuse", action="store_true", help="reuse bench-results/demo-scale{N}.db when it exists")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        try:
            app = load(args.scale, args.reuse, Path(tmp), {})
        except DemoUnavailable as error:
            print(error, file=sys.stderr)
            return 2
        rows = measure_services(app, args.runs) + measure_pages(app, args.requests)

    failed = False
    print(f"\nscale {args.scale}, demo as of {AS_OF}, report year {YEAR}\n")
    print(f"{'what':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}  result")
    for r in rows:
        target = TARGETS[r["what"]]
        worst = r.get("p95_ms", r["max_ms"])
        r["result"] = "OK" if worst <= target else "SLOW"
        if "HTTP" in r["note"]:
            r["result"], failed = "ERROR", True
        print(
            f"{r['what']:<24} {r['p50_ms']:>8.1f} {r.get('p95_ms', float('nan')):>8.1f} {r['max_ms']:>8.1f} "
            f"{target:>8.0f}  {r['result']}  {r['note']}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"reports-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {"scale": args.scale, "as_of": AS_OF, "targets_ms": TARGETS, "rows": rows}, ensure_ascii=False, indent=2
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
