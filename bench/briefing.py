"""Monthly briefing benchmark at demo scale: the figures alone (the JSON) and the archived PDF.

    python -m bench.briefing --scale 10            # builds the demo database (a few minutes)
    python -m bench.briefing --scale 10 --reuse    # reuses bench-results/briefing-scale10.db

Loads the demo as of 2026-11 (``crm.demo.load_demo``, migrations first) into a cached SQLite file,
copies it, and on the copy — in a fresh child process, so its peak resident memory is the
briefing's alone plus the interpreter — times for October 2026:

- ``briefing_data`` (what ``crm report briefing --out x.json`` writes), target ≤ 2 s;
- ``generate_briefing`` (the figures, the PDF and its archiving), target ≤ 5 s and ≤ 300 MB peak.

Each is run once to warm up (font registration, caches), then ``--runs`` times; the table shows
the median and the maximum. Writes bench-results/briefing-scale{N}.json. Exit code 0 even when
slower than a target (a benchmark reports, it does not fail); 1 when the briefing cannot be made.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
AS_OF = "2026-11"
MONTH = "2026-10"
TODAY = date(2026, 11, 15)
TARGETS = {"json_s": 2.0, "pdf_s": 5.0, "peak_mb": 300.0}


def make_app(path: Path, instance: Path):
    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{path}", CRM_INSTANCE_PATH=str(instance), CRM_TODAY=TODAY.isoformat()
    )
    from crm import create_server_app

    return create_server_app()


def cached_database(scale: int, reuse: bool, tmp: Path) -> Path:
    """The demo at ``scale`` in a SQLite file (cached under bench-results/ with --reuse)."""
    cached = RESULTS / f"briefing-scale{scale}.db"
    if reuse and cached.exists():
        return cached
    path = tmp / f"briefing-demo-scale{scale}.db"
    app = make_app(path, tmp / "instance")
    from flask_migrate import upgrade

    from crm.demo import load_demo
    from crm.extensions import db

    with app.app_context():
        upgrade()
        started = time.perf_counter()
        load_demo(db.session, scale=scale, as_of=AS_OF, password=app.config["DEMO_PASSWORD"])
        db.session.commit()
        print(f"scale {scale}: demo loaded in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    if reuse:
        RESULTS.mkdir(exist_ok=True)
        with sqlite3.connect(path) as src, sqlite3.connect(cached) as dst:
            src.backup(dst)
    return path


def timed(fn, runs: int) -> tuple[list[float], object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def worker(path: Path, runs: int) -> dict:
    """Run in the child process: time the JSON and the PDF, report the process's peak memory."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    app = make_app(path, path.parent / "instance-worker")
    from crm.extensions import db
    from crm.models import Building, Lead, Lease
    from crm.monthly_briefing import generate_briefing
    from crm.services.briefing import briefing_data

    with app.app_context():
        upgrade()
        db.session.commit()
        counts = {
            "buildings": db.session.scalar(select(func.count(Building.id))),
            "leases": db.session.scalar(select(func.count(Lease.id))),
            "leads": db.session.scalar(select(func.count(Lead.id))),
        }
        json_times, data = timed(lambda: briefing_data(db.session, MONTH, today=TODAY), runs)
        encoded = json.dumps(data, ensure_ascii=False)

        def pdf():
            briefing = generate_briefing(db.session, MONTH, today=TODAY, source="cli")
            db.session.commit()
            return briefing

        pdf_times, briefing = timed(pdf, runs)
        result = {
            "data": counts,
            "json_s": {"p50": round(statistics.median(json_times), 3), "max": round(max(json_times), 3)},
            "pdf_s": {"p50": round(statistics.median(pdf_times), 3), "max": round(max(pdf_times), 3)},
            "pages": briefing.pages,
            "pdf_kib": briefing.size // 1024,
            "json_kib": len(encoded.encode()) // 1024,
        }
        db.session.remove()
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB
    return result


def print_table(scale: int, result: dict) -> None:
    rows = [
        (
            "briefing JSON (briefing_data)",
            f"{result['json_s']['p50']:.2f} s",
            f"{result['json_s']['max']:.2f} s",
            f"≤ {TARGETS['json_s']:.0f} s",
            result["json_s"]["max"] <= TARGETS["json_s"],
        ),
        (
            "briefing PDF (generate + archive)",
            f"{result['pdf_s']['p50']:.2f} s",
            f"{result['pdf_s']['max']:.2f} s",
            f"≤ {TARGETS['pdf_s']:.0f} s",
            result["pdf_s"]["max"] <= TARGETS["pdf_s"],
        ),
        (
            "peak resident memory",
            f"{result['peak_mb']:.0f} MB",
            "",
            f"≤ {TARGETS['peak_mb']:.0f} MB",
            result["peak_mb"] <= TARGETS["peak_mb"],
        ),
    ]
    print(
        f"\nscale {scale}: {result['data']} → {result['pages']} pages, PDF {result['pdf_kib']} KiB, "
        f"JSON {result['json_kib']} KiB"
    )
    print(f"{'what':<36}{'p50':>10}{'max':>10}{'target':>12}  ok")
    for what, p50, worst, target, ok in rows:
        print(f"{what:<36}{p50:>10}{worst:>10}{target:>12}  {'✓' if ok else '✗'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="reuse bench-results/briefing-scale{N}.db")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-briefing-") as tmp_name:
        tmp = Path(tmp_name)
        source = cached_database(args.scale, args.reuse, tmp)
        copy = tmp / "measured.db"
        shutil.copyfile(source, copy)  # the archive writes rows: never into the cache
        child = subprocess.run(
            [sys.executable, "-m", "bench.briefing", "--worker", str(copy), "--runs", str(args.runs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:], file=sys.stderr)
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
    result.update(scale=args.scale, month=MONTH, targets=TARGETS)
    print_table(args.scale, result)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"briefing-scale{args.scale}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
