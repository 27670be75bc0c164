"""属地化 benchmark: server time and SQL queries of the /localisation pages on demo data.

    python -m bench.localisation --scale 10            # fresh scale-10 demo, plus scale 1 for the counts
    python -m bench.localisation --scale 10 --reuse    # reuse bench-results/demo-scale10-localisation.db

Loads the demo (``crm.demo.load_demo``, which writes its 属地化 work list as of 2026-11-15), then
times each page as ``bench.pages`` does (cold: first view with the figure cache emptied; then
p50/p95 over ``--requests`` requests) for ``leader`` and the manager ``louyu1``, and counts the
same pages on a scale-1 database: a count that grows with the scale is an N+1 query. Prints a
table and writes bench-results/localisation-scale{N}.json; exit 1 when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench import pages as B

TARGET_P95_MS = 150.0


def seeded_app(scale: int, reuse: bool, tmp: Path):
    B.RESULTS.mkdir(exist_ok=True)
    app, _ = B.build_app(scale, reuse, tmp)
    return app


def localisation_pages(app, username: str) -> list[str]:
    code = B.largest_building_code(app, username)
    return [
        "/localisation",
        "/localisation?state=open&sort=area&dir=desc",
        "/localisation?type=registered_not_occupying",
        "/localisation?type=occupying_untaxed&street=白云",
        f"/buildings/{code}/localisation",
        "/api/v1/localisation?per_page=200",
        "/",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--compare-scale", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    B.pages_for = localisation_pages  # measure() walks these pages
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in dict.fromkeys((args.scale, args.compare_scale)):
            app = seeded_app(scale, args.reuse, Path(tmp))
            counter = B.engine_counter(app)
            results[scale] = [row for user in B.USERS for row in B.measure(app, counter, user, args.requests)]
            from crm.extensions import db

            with app.app_context():
                db.engine.dispose()
    ok = True
    base = {(r["user"], r["page"]): r for r in results.get(args.compare_scale, [])}
    print(
        f"{'user':<8} {'page':<58} {'p50':>7} {'p95':>7} {'cold':>7} {'q@' + str(args.scale):>6} {'q@' + str(args.compare_scale):>6}"
    )
    for row in results[args.scale]:
        small = base.get((row["user"], row["page"]), {})
        flag = "" if row["p95_ms"] <= TARGET_P95_MS else "  > target"
        print(
            f"{row['user']:<8} {row['page']:<58} {row['p50_ms']:>7} {row['p95_ms']:>7} {row['cold_ms']:>7} "
            f"{row['queries']:>6} {small.get('queries', '-'):>6}{flag}"
        )
        ok = ok and set(row["statuses"]) == {200}
    out = B.RESULTS / f"localisation-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {str(k): [dict(r, statuses=dict(r["statuses"])) for r in v] for k, v in results.items()},
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
