"""Pipeline benchmark: the board, the lead list, my work, a lead's page and 载体匹配 on demo data.

    python -m bench.pipeline --scale 10            # fresh database (about 2,000 leads)
    python -m bench.pipeline --scale 10 --reuse    # reuse bench-results/pipeline-scale10.db

Builds (or reuses) a SQLite database holding the whole demo at ``--scale`` — its own file, since
the pipeline demo is part of ``crm.demo.load_demo`` now and an older cached demo may predate it —
signs in as the promoter ``zhaoshang1`` and times each page (3 warm-ups, then ``--requests``
requests → p50/p95 ms, SQL statements of the last request). Matching is also timed as the
service call alone over every vacant unit, for the largest lead and for 40 leads of
300–800 m² (the common size, and the harder case). The same pages are counted on scale 1: a query count
that grows with the scale is an N+1. Targets: pages p95 ≤ 150 ms, matching ≤ 300 ms.

Writes bench-results/pipeline-scale{N}.json. Exit 1 when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from bench.pages import RESULTS, ROOT, TODAY, AS_OF, WARMUPS, QueryCounter, ljust, signed_in_client

PAGE_TARGET_MS = 150.0
MATCH_TARGET_MS = 300.0
USER = "zhaoshang1"


def build_app(scale: int, reuse: bool, tmp: Path):
    path = RESULTS / f"pipeline-scale{scale}.db"
    if path.exists() and not reuse:
        path.unlink()
    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{path}", CRM_INSTANCE_PATH=str(tmp / f"instance{scale}"), CRM_TODAY=TODAY
    )
    from flask_migrate import upgrade

    from crm import create_server_app
    from crm.extensions import db
    from crm.models import Building

    RESULTS.mkdir(exist_ok=True)
    app = create_server_app()
    with app.app_context():
        upgrade()
        if db.session.scalar(select(Building.id).limit(1)) is None:
            from crm.demo import load_demo

            started = time.perf_counter()
            stats = load_demo(db.session, scale=scale, as_of=AS_OF, password=app.config["DEMO_PASSWORD"])
            db.session.commit()
            print(
                f"scale {scale}: demo loaded in {time.perf_counter() - started:.1f} s — "
                + ", ".join(f"{k} {v:,}" for k, v in stats.items())
            )
        else:
            print(f"scale {scale}: reusing {path.relative_to(ROOT)}")
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def sample_leads(app) -> tuple[int, int]:
    """The busiest lead of the user (most follow-ups) and their largest active lead with an area."""
    from crm.extensions import db
    from crm.models import FollowUp, Lead, User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == USER))
        busiest = db.session.scalar(
            select(Lead.id)
            .join(FollowUp, FollowUp.lead_id == Lead.id)
            .where(Lead.owner_id == user_id)
            .group_by(Lead.id)
            .order_by(func.count().desc(), Lead.id)
            .limit(1)
        )
        matched = db.session.scalar(
            select(Lead.id)
            .where(Lead.owner_id == user_id, Lead.stage == "negotiation", Lead.intended_area.is_not(None))
            .order_by(Lead.intended_area.desc(), Lead.id)
            .limit(1)
        )
        db.session.remove()
    return busiest, matched


def pages(busiest: int, matched: int) -> list[tuple[str, str]]:
    return [
        ("/leads/board", "/leads/board"),
        ("/leads", "/leads"),
        ("/leads?stage=active&sort=tax&dir=desc", "/leads?filtered"),
        ("/followups", "/followups"),
        (f"/leads/{busiest}", "/leads/<id>"),
        (f"/leads/{matched}/matches", "/leads/<id>/matches"),
    ]


def percentile_95(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]


def measure_pages(app, counter: QueryCounter, requests: int) -> list[dict]:
    client = signed_in_client(app, USER)
    rows = []
    for url, kind in pages(*sample_leads(app)):
        times, statuses = [], Counter()
        for i in range(WARMUPS + requests):
            counter.count = 0
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            statuses[response.status_code] += 1
            if i >= WARMUPS:
                times.append(elapsed)
        target = MATCH_TARGET_MS if kind.endswith("matches") else PAGE_TARGET_MS
        rows.append(
            {
                "page": kind,
                "url": url,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile_95(times), 1),
                "queries": counter.count,
                "target_ms": target,
                "statuses": dict(statuses),
            }
        )
    return rows


def typical_leads(app, count: int = 40) -> list[int]:
    """Active leads asking for 300–800 m², the size most enquiries are: they fit more windows of
    one to three units than the largest lead does, so they are the harder case for matching."""
    from crm.extensions import db
    from crm.models import Lead
    from crm.models.lead import ACTIVE_STAGES

    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Lead.id)
                .where(Lead.stage.in_(ACTIVE_STAGES), Lead.intended_area.between(300, 800))
                .order_by(Lead.id)
                .limit(count)
            )
        )
        db.session.remove()
    return ids


def measure_matching(app, lead_ids: list[int], requests: int) -> dict:
    """match_units alone over every vacant unit of the district: ``requests`` calls spread over
    ``lead_ids`` in turn, after the warm-ups."""
    from crm.extensions import db
    from crm.models import Lead
    from crm.services.matching import match_units

    times, candidates = [], []
    with app.app_context():
        leads = [db.session.get(Lead, lead_id) for lead_id in lead_ids]
        for i in range(WARMUPS + requests):
            lead = leads[i % len(leads)]
            started = time.perf_counter()
            result = match_units(db.session, lead, date.fromisoformat(TODAY))
            if i >= WARMUPS:
                times.append((time.perf_counter() - started) * 1000)
                candidates.append(len(result.candidates))
        db.session.remove()
    return {
        "leads": len(lead_ids),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile_95(times), 1),
        "candidates": min(candidates),
        "target_ms": MATCH_TARGET_MS,
    }


def count_leads(app) -> dict:
    from crm.extensions import db
    from crm.models import FollowUp, Lead

    with app.app_context():
        counts = {
            "leads": db.session.scalar(select(func.count()).select_from(Lead)),
            "followups": db.session.scalar(select(func.count()).select_from(FollowUp)),
        }
        db.session.remove()
    return counts


def engine_counter(app) -> QueryCounter:
    from crm.extensions import db

    with app.app_context():
        return QueryCounter(db.engine)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--compare-scale", type=int, default=1)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-bench-pipeline-") as tmp:
        app = build_app(args.scale, args.reuse, Path(tmp))
        sizes = count_leads(app)
        rows = measure_pages(app, engine_counter(app), args.requests)
        largest = sample_leads(app)[1]
        matching = {
            "largest lead": measure_matching(app, [largest], args.requests),
            "300–800 m² leads": measure_matching(app, typical_leads(app), max(args.requests, 40)),
        }
        compare = {}
        if args.compare_scale:
            small = build_app(args.compare_scale, args.reuse, Path(tmp))
            compare = {r["page"]: r for r in measure_pages(small, engine_counter(small), 1)}

    failed = False
    print(
        f"\n{sizes['leads']:,} leads, {sizes['followups']:,} follow-ups at scale {args.scale}; "
        f"{args.requests} requests after {WARMUPS} warm-ups as {USER}, today {TODAY}\n"
    )
    header = f"{'page':<24} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {f'q@{args.compare_scale}':>6} {f'q@{args.scale}':>6}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        small = compare.get(r["page"])
        r["queries_compare"] = small["queries"] if small else None
        flags = ["OK" if r["p95_ms"] <= r["target_ms"] else "SLOW"]
        if small and small["queries"] != r["queries"]:
            flags.append("N+1?")
        errors = {c: n for c, n in r["statuses"].items() if c != 200}
        if errors:
            flags.append(f"ERROR {errors}")
            failed = True
        r["flags"] = flags
        q1 = "—" if small is None else str(small["queries"])
        print(
            f"{ljust(r['page'], 24)} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['target_ms']:>7.0f} {q1:>6} {r['queries']:>6}  {' '.join(flags)}"
        )
    for label, m in matching.items():
        print(
            f"{ljust('match ' + label, 24)} {m['p50_ms']:>8.1f} {m['p95_ms']:>8.1f} {m['target_ms']:>7.0f} {'':>6} {'':>6}  "
            f"{'OK' if m['p95_ms'] <= m['target_ms'] else 'SLOW'} ({m['leads']} leads, ≥ {m['candidates']} candidates each)"
        )
    out = RESULTS / f"pipeline-scale{args.scale}.json"
    out.write_text(
        json.dumps(
            {"scale": args.scale, "today": TODAY, "as_of": AS_OF, "sizes": sizes, "pages": rows, "matching": matching},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
