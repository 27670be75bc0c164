"""Leads import benchmark: a file of new leads into a database already holding many leads,
preview and commit timed separately.

    python -m bench.leads_import --rows 100000 --stored 20000 --database sqlite
    python -m bench.leads_import --rows 100000 --stored 20000 --database postgresql \\
        [--pg-server postgresql+psycopg://postgres@127.0.0.1:5432]
    python -m bench.leads_import ... --profile bench-results/leads   # + cProfile of each step

A fresh database (a SQLite file in a temporary folder, or a database of its own on the
PostgreSQL server, dropped afterwards) gets 30 buildings, 5 promoters, an admin and ``--stored``
active leads (written in bulk, outside the timing). The file (.xlsx, or .csv with ``--format
csv``) holds ``--rows`` new leads as a bureau would send them: half with a USCC, a third at a
later stage with its dates, every fiftieth a company already stored (marked 确认重复 = 是, so it
is a warning, not an error), one or two target buildings each. Then, as an admin on the web:
``imports.preview`` (read, check, duplicate lookups, record the batch) and ``imports.confirm``
(re-plan, compare digests, write). Target: both together ≤ 10 s for 100,000 rows over 20,000
stored. Prints the figures; exit 0 whatever they are (a benchmark reports, it does not fail).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from bench.imports import LEAD_HEADER

TODAY = "2026-11-15"
HEADER = LEAD_HEADER  # the leads file of bench.imports, one spelling of the template
PROMOTERS = [f"zs{n}" for n in range(1, 6)]
BUILDINGS = [f"XG{n:02d}" for n in range(1, 31)]
STAGES = ["接洽", "考察", "洽谈", "签约"]
TARGET_SECONDS = 10.0


def stored_name(n: int) -> str:
    return f"存量项目{n}号（大连）有限公司"


def file_rows(count: int, stored: int) -> list[list]:
    from crm.services.uscc import check_character

    rows = []
    for i in range(count):
        duplicate = stored > 0 and i % 50 == 0
        name = stored_name(i % stored) if duplicate else f"导入测试{i}号科技有限公司"
        uscc = ""
        if i % 2 and not duplicate:
            body = f"91210200{i + 700_000_000:09d}"
            uscc = body + check_character(body)
        staged = i % 3 == 0
        targets = BUILDINGS[i % len(BUILDINGS)] + ("、" + BUILDINGS[(i + 7) % len(BUILDINGS)] if i % 4 == 0 else "")
        rows.append(
            [
                name,
                uscc,
                "以商招商",
                "数字技术服务",
                200 + i % 800,
                1_000_000 + (i * 37 % 9_000_000),
                targets,
                PROMOTERS[i % len(PROMOTERS)],
                "王经理",
                f"138{i:08d}",
                STAGES[i % len(STAGES)] if staged else "",
                "2026-09-15" if staged else "",
                "2026-06-01" if staged else "",
                "是" if duplicate else "",
            ]
        )
    return rows


def write_file(rows: list[list], fmt: str, folder: Path) -> Path:
    path = folder / f"leads-{len(rows)}.{fmt}"
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(HEADER)
            writer.writerows(rows)
        return path
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("招商项目")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# --------------------------------------------------------------------------------------------
# The database


def postgres_database(server: str) -> tuple[str, callable]:
    """A new database on ``server`` (a URL without the database name); its URL and a dropper."""
    import psycopg

    name = f"crm_bench_leads_{uuid.uuid4().hex[:8]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://").rstrip("/")
    with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{server.rstrip('/')}/{name}", drop


def make_app(url: str, instance: Path):
    os.environ.update(CRM_DATABASE_URL=url, CRM_INSTANCE_PATH=str(instance), CRM_TODAY=TODAY)
    from crm import create_app

    return create_app()


def seed(session, stored: int) -> None:
    """Buildings, promoters, an admin and ``stored`` active leads, in bulk."""
    from sqlalchemy import insert

    from crm.models import Building, Lead, User
    from crm.services.duplicates import normalise_name

    for code in BUILDINGS:
        session.add(
            Building(code=code, name=f"测试大厦{code}", street="八一路", declared_office_area=100_000, floors=20)
        )
    admin = User(username="admin", role="admin", display_name="管理员")
    admin.set_password("xigang-bench-2026")
    session.add(admin)
    owners = []
    for username in PROMOTERS:
        promoter = User(username=username, role="promoter", display_name=username)
        promoter.set_password("xigang-bench-2026")
        session.add(promoter)
        owners.append(promoter)
    session.flush()
    now = datetime.now(timezone.utc)
    for start in range(0, stored, 10_000):
        session.execute(
            insert(Lead.__table__),
            [
                dict(
                    company_name=stored_name(n),
                    name_key=normalise_name(stored_name(n)),
                    source="上门",
                    owner_id=owners[n % len(owners)].id,
                    stage="lead",
                    created_on=date(2026, 10, 1),
                    created_at=now,
                    priority="normal",
                    hq_type="none",
                    next_followup_on=date(2026, 11, 20),
                )
                for n in range(start, min(start + 10_000, stored))
            ],
        )
    session.commit()


# --------------------------------------------------------------------------------------------
# The timed steps


def timed(label: str, step, profile_to: Path | None):
    profiler = cProfile.Profile() if profile_to else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = step()
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profile_to.parent.mkdir(parents=True, exist_ok=True)
        path = profile_to.with_name(f"{profile_to.name}-{label}.prof")
        profiler.dump_stats(path)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        path.with_suffix(".txt").write_text(text.getvalue())
    return result, seconds, cpu


def run(args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-leads-"))
    drop, app = None, None
    if args.database == "postgresql":
        url, drop = postgres_database(args.pg_server)
    else:
        url = f"sqlite:///{folder / 'bench.db'}"
    try:
        app = make_app(url, folder / "instance")
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from crm.extensions import db
        from crm.io import imports
        from crm.models import Lead, User
        from crm.services.periods import business_today

        with app.app_context():
            upgrade()
            seed(db.session, args.stored)
            path = write_file(file_rows(args.rows, args.stored), args.format, folder)
            data = path.read_bytes()
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            today = business_today(TODAY)
            profile = Path(args.profile) if args.profile else None

            def preview():
                batch = imports.preview(db.session, admin, "leads", path.name, data, today)
                db.session.commit()
                return batch

            batch, preview_s, preview_cpu = timed("preview", preview, profile)
            if batch.status != "previewed":
                raise SystemExit(
                    f"the preview was refused: {batch.error_count} errors, e.g. {batch.report['errors'][:3]}"
                )

            def commit():
                changes = imports.confirm(db.session, admin, batch, today)
                db.session.commit()
                return changes

            changes, commit_s, commit_cpu = timed("commit", commit, profile)
            leads = db.session.scalar(select(func.count()).select_from(Lead))
            warnings = len(batch.report.get("warnings", []))
        return {
            "database": args.database,
            "format": args.format,
            "rows": args.rows,
            "stored": args.stored,
            "file_bytes": len(data),
            "created": len(changes),
            "warnings": warnings,
            "leads_after": leads,
            "preview_seconds": round(preview_s, 2),
            "preview_cpu": round(preview_cpu, 2),
            "commit_seconds": round(commit_s, 2),
            "commit_cpu": round(commit_cpu, 2),
            "total_seconds": round(preview_s + commit_s, 2),
        }
    finally:
        if drop is not None:
            if app is not None:
                from crm.extensions import db

                with app.app_context():
                    db.engine.dispose()  # the server refuses to drop a database with open connections
            drop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--pg-server", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--profile", default=None, help="write cProfile stats to PREFIX-preview.prof / -commit.prof (+ .txt)"
    )
    args = parser.parse_args(argv)
    result = run(args)
    print(
        f"leads import: {result['rows']:,} rows ({result['format']}, {result['file_bytes'] / 1e6:.1f} MB) "
        f"over {result['stored']:,} stored leads on {result['database']}"
    )
    print(f"  preview {result['preview_seconds']:6.2f} s  (cpu {result['preview_cpu']:.2f} s)")
    print(f"  commit  {result['commit_seconds']:6.2f} s  (cpu {result['commit_cpu']:.2f} s)")
    verdict = "within" if result["total_seconds"] <= TARGET_SECONDS else "OVER"
    print(
        f"  total   {result['total_seconds']:6.2f} s  — {verdict} the {TARGET_SECONDS:.0f} s target; "
        f"{result['created']:,} leads created, {result['warnings']:,} warnings, {result['leads_after']:,} leads stored"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
