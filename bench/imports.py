"""Import and export benchmark: a 100,000-row tax file (.xlsx and .csv) into the --scale 10 demo,
preview and commit timed separately with their peak memory; a 100,000-row leads file (.xlsx)
with the stored leads topped up to 20,000 (the duplicate check looks at every one of them); and
an export of 25,000 companies.

    python -m bench.imports --scale 10                  # what ``make bench`` runs
    python -m bench.imports --scale 10 --only leads     # one part: tax, leads or export
    python -m bench.imports --only leads --pg-server postgresql+psycopg://postgres@127.0.0.1:5432
                                                        # the leads file on PostgreSQL as well

Works on a copy of the cached demo database (bench-results/demo-scale{N}.db, built by
``bench.pages`` helpers when missing), so the page benchmark's cache stays untouched. Each phase
runs in a fresh process (multiprocessing "spawn"), so its peak resident memory (ru_maxrss) is its
own: the figure includes the interpreter and the app (~the "baseline" column), which is the
honest number to hold against the 300 MB target. Targets: preview and commit ≤ 10 s and
≤ 300 MB each; the export ≤ 5 s. Results go to bench-results/imports-scale{N}.json. Exit 0
whatever the figures (a benchmark reports, it does not fail).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
TODAY = "2026-11-15"
PERIODS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
TAX_ROWS = 100_000
LEAD_ROWS = 100_000
STORED_LEADS = 20_000
EXPORT_COMPANIES = 25_000
TARGET_SECONDS = {"preview": 10.0, "commit": 10.0, "export": 5.0}
LEADS_TARGET_SECONDS = 10.0  # preview and commit of the leads file together
TARGET_MB = 300


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def make_app(database, instance: Path):
    """An app on ``database``: a SQLite file's path or a database URL."""
    url = str(database) if "://" in str(database) else f"sqlite:///{database}"
    os.environ.update(CRM_DATABASE_URL=url, CRM_INSTANCE_PATH=str(instance), CRM_TODAY=TODAY)
    from crm import create_server_app

    return create_server_app()


def cached_demo(scale: int, tmp: Path) -> Path:
    cached = RESULTS / f"demo-scale{scale}.db"
    if not cached.exists():
        from bench.pages import build_app

        build_app(scale, True, tmp)
    return cached


def copy_db(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


# ------------------------------------------------------------------------------------- files
def tax_rows(db_path: Path) -> list[list]:
    """100,000 rows: 20,000 companies × 5 months, existing amounts raised 3 % (updates) where
    there are some, new amounts otherwise (creates)."""
    with sqlite3.connect(db_path) as conn:
        codes = [
            r[0]
            for r in conn.execute(
                "SELECT uscc FROM companies WHERE uscc IS NOT NULL ORDER BY id LIMIT ?", (TAX_ROWS // len(PERIODS),)
            )
        ]
        existing = {
            (u, p): t
            for u, p, t in conn.execute(
                "SELECT c.uscc, t.period, t.total_tax FROM tax_records t JOIN companies c ON c.id = t.company_id "
                f"WHERE t.period IN ({','.join('?' * len(PERIODS))})",
                PERIODS,
            )
        }
    rows = []
    for i, code in enumerate(codes):
        for period in PERIODS:
            total = existing.get((code, period))
            amount = round(float(total) * 1.03, 2) if total else 10_000 + (i * 37 % 90_000) + 0.5
            rows.append([code, period, amount, round(amount * 0.3, 2)])
    return rows


HEADER = ["统一社会信用代码", "所属期", "全口径税收（元）", "区级税收（元）"]


def write_files(rows, tmp: Path) -> dict[str, Path]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("税收")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    paths = {"xlsx": tmp / "tax-100k.xlsx", "csv": tmp / "tax-100k.csv"}
    workbook.save(paths["xlsx"])
    with open(paths["csv"], "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return paths


# ------------------------------------------------------------------------------------- phases
def phase(name: str, db_path: str, instance: str, file_path: str | None, queue) -> None:
    """Runs in its own process; puts {seconds, peak_mb, baseline_mb, ...} (or {error}) on the queue."""
    try:
        queue.put(measure(name, db_path, instance, file_path))
    except BaseException:
        import traceback

        queue.put({"error": traceback.format_exc()})


def measure(name: str, db_path: str, instance: str, file_path: str | None) -> dict:
    app = make_app(db_path, Path(instance))
    from sqlalchemy import select

    from crm.extensions import db
    from crm.io import exports, imports
    from crm.io.kinds import get_kind
    from crm.models import ImportBatch, User
    from crm.permissions import EVERYWHERE
    from crm.services.periods import business_today

    with app.app_context():
        if name == "migrate":
            from flask_migrate import upgrade

            upgrade()
            return {"seconds": 0.0, "peak_mb": round(peak_mb(), 1), "baseline_mb": 0.0}
        if name.startswith("demo-"):  # a PostgreSQL database gets the demo loaded, not copied
            from bench.pages import AS_OF
            from crm.demo import load_demo

            load_demo(db.session, scale=int(name.split("-")[1]), as_of=AS_OF, password=app.config["DEMO_PASSWORD"])
            db.session.commit()
            return {"seconds": 0.0, "peak_mb": round(peak_mb(), 1), "baseline_mb": 0.0}
        if name == "topup-leads":
            return {"added": top_up_leads(db.session, STORED_LEADS), "seconds": 0.0, "peak_mb": 0.0, "baseline_mb": 0.0}
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        today = business_today(TODAY)
        data = Path(file_path).read_bytes() if file_path else None
        baseline = rss_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = {}
        if name == "preview":
            kind = "leads" if Path(file_path).name.startswith("leads") else "tax"
            batch = imports.preview(db.session, admin, kind, Path(file_path).name, data, today)
            db.session.commit()
            result = {
                "batch": batch.id,
                "created": batch.created_count,
                "updated": batch.updated_count,
                "unchanged": batch.unchanged_count,
                "errors": batch.error_count,
            }
        elif name == "commit":
            batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))
            changes = imports.confirm(db.session, admin, batch, today)
            db.session.commit()
            result = {"batch": batch.id, "changes": len(changes), "status": batch.status}
        elif name.startswith("export"):
            fmt = name.split("-")[1]
            kind = get_kind("companies")
            items = kind.export_items(db.session, EVERYWHERE, {}, today)
            out = exports.export(kind, items, fmt)
            result = {"companies": len(items), "bytes": len(out)}
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    # CPU seconds beside wall seconds: on a shared machine the wall clock also counts the others' work.
    return dict(
        result,
        seconds=round(seconds, 2),
        cpu_seconds=round(cpu, 2),
        peak_mb=round(peak_mb(), 1),
        baseline_mb=round(baseline, 1),
    )


def run_phase(name, db_path, instance, file_path=None) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=phase, args=(name, str(db_path), str(instance), file_path and str(file_path), queue)
    )
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise SystemExit(f"phase {name} failed:\n{result['error']}")
    return result


def add_companies(db_path: Path, total: int) -> int:
    """Top the demo up to ``total`` companies (valid USCCs), outside any timing."""
    from crm.services.uscc import check_character

    with sqlite3.connect(db_path) as conn:
        have = conn.execute("SELECT count(*) FROM companies").fetchone()[0]
        rows = []
        for n in range(have, total):
            body = f"91210200{n + 900_000_000:09d}"
            rows.append((f"基准测试企业{n}有限公司", body + check_character(body)))
        conn.executemany(
            "INSERT INTO companies (name, uscc, uscc_override, registered_in_district, taxed_in_district, hq_type, is_demo)"
            " VALUES (?, ?, 0, 0, 0, 'none', 1)",
            rows,
        )
    return total - have if total > have else 0


# ------------------------------------------------------------------------------------- leads
LEAD_HEADER = [
    "企业名称",
    "统一社会信用代码",
    "来源",
    "产业类别",
    "意向面积（m²）",
    "预计年税收（元）",
    "目标楼宇",
    "负责人账号",
    "联系人",
    "联系电话",
    "阶段",
    "阶段日期",
    "立项日期",
    "确认重复",
]


def _has_column(conn, table: str, column: str) -> bool:
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def add_leads(db_path: Path, total: int) -> int:
    """Top the demo's leads up to ``total`` active leads of the demo promoters, outside any timing."""
    with sqlite3.connect(db_path) as conn:
        have = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
        owners = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'promoter' ORDER BY id")]
        keyed = _has_column(conn, "leads", "name_key")
        name_key = None
        if keyed:
            from crm.models.names import name_key
        rows = []
        for n in range(have, total):
            name = f"存量项目企业{n}（大连）有限公司"
            row = [
                name,
                "上门",
                owners[n % len(owners)],
                "lead",
                "2026-10-01",
                "2026-10-01 01:00:00",
                "normal",
                "none",
                0,
                1,
            ]
            rows.append(row + [name_key(name)] if keyed else row)
        columns = "company_name, source, owner_id, stage, created_on, created_at, priority, hq_type, is_demo, version"
        conn.executemany(
            f"INSERT INTO leads ({columns}{', name_key' if keyed else ''}) VALUES ({', '.join('?' * len(rows[0]))})",
            rows,
        ) if rows else None
    return max(total - have, 0)


def top_up_leads(session, total: int) -> int:
    """``add_leads`` through the app, for a database that is not a SQLite file."""
    from sqlalchemy import func, insert, select

    from crm.models import Lead, User

    have = session.scalar(select(func.count()).select_from(Lead))
    owners = list(session.scalars(select(User.id).where(User.role == "promoter").order_by(User.id)))
    rows = [
        dict(
            company_name=f"存量项目企业{n}（大连）有限公司",
            source="上门",
            owner_id=owners[n % len(owners)],
            stage="lead",
            created_on=date(2026, 10, 1),
            priority="normal",
            hq_type="none",
            is_demo=True,
        )
        for n in range(have, total)
    ]
    if rows:
        session.execute(insert(Lead), rows)
    session.commit()
    return len(rows)


def lead_rows(db_path: Path, count: int) -> list[list]:
    """New leads for the demo promoters: a third at a later stage with its date, every
    fiftieth a company already stored as a lead (confirmed as not the same), half with a USCC."""
    from crm.services.uscc import check_character

    with sqlite3.connect(db_path) as conn:
        promoters = [r[0] for r in conn.execute("SELECT username FROM users WHERE role = 'promoter' ORDER BY username")]
        codes = [r[0] for r in conn.execute("SELECT code FROM buildings ORDER BY code LIMIT 50")]
        stored = [r[0] for r in conn.execute("SELECT company_name FROM leads ORDER BY id LIMIT 5000")]
    stages = ["接洽", "考察", "洽谈", "签约"]
    rows = []
    for i in range(count):
        duplicate = i % 50 == 0
        name = stored[i % len(stored)] if duplicate else f"导入测试{i}号科技有限公司"
        uscc = ""
        if i % 2 and not duplicate:
            body = f"91210200{i + 700_000_000:09d}"
            uscc = body + check_character(body)
        staged = i % 3 == 0
        rows.append(
            [
                name,
                uscc,
                "以商招商",
                "数字技术服务",
                200 + i % 800,
                1_000_000 + (i * 37 % 9_000_000),
                codes[i % len(codes)],
                promoters[i % len(promoters)],
                "王经理",
                f"138{i:08d}",
                stages[i % len(stages)] if staged else "",
                "2026-09-15" if staged else "",
                "2026-06-01" if staged else "",
                "是" if duplicate else "",
            ]
        )
    return rows


def write_leads_file(rows, tmp: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("招商项目")
    sheet.append(LEAD_HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp / f"leads-{len(rows)}.xlsx"
    workbook.save(path)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--lead-rows", type=int, default=LEAD_ROWS, help="rows of the leads file")
    parser.add_argument(
        "--pg-server",
        default=None,
        help="also import the leads file into a fresh database on this PostgreSQL server "
        "(URL without the database name); it is dropped afterwards",
    )
    args = parser.parse_args(argv)
    parts = args.only or list(PARTS)
    report = {
        "scale": args.scale,
        "today": TODAY,
        "tax_rows": TAX_ROWS,
        "lead_rows": args.lead_rows,
        "stored_leads": STORED_LEADS,
        "targets": {"seconds": TARGET_SECONDS, "mb": TARGET_MB},
    }
    with tempfile.TemporaryDirectory(prefix="crm-bench-imports-") as name:
        tmp = Path(name)
        cached = cached_demo(args.scale, tmp)
        pristine = tmp / "pristine.db"
        copy_db(cached, pristine)
        run_phase("migrate", pristine, tmp / "instance")  # the cache may predate this release's tables
        for part in parts:
            PARTS[part](pristine, tmp, report, args)
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if parts == list(PARTS) else "-" + "-".join(parts)
    out = RESULTS / f"imports-scale{args.scale}{suffix}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


def tax_part(pristine: Path, tmp: Path, report: dict, args) -> None:
    files = write_files(tax_rows(pristine), tmp)
    report["files"] = {fmt: path.stat().st_size for fmt, path in files.items()}
    for fmt, path in files.items():
        work = tmp / f"work-{fmt}.db"
        copy_db(pristine, work)
        for step in ("preview", "commit"):
            result = run_phase(step, work, tmp / "instance", path)
            report[f"{step}-{fmt}"] = result
            print_row(f"tax {fmt} {step}", result, step)


def leads_part(pristine: Path, tmp: Path, report: dict, args) -> None:
    work = tmp / "work-leads.db"
    copy_db(pristine, work)
    report["leads_added_for_bench"] = add_leads(work, STORED_LEADS)
    path = write_leads_file(lead_rows(work, args.lead_rows), tmp)
    report["files"] = dict(report.get("files") or {}, leads_xlsx=path.stat().st_size)
    for step in ("preview", "commit"):
        result = run_phase(step, work, tmp / "instance", path)
        report[f"leads-{step}"] = result
        print_row(f"leads {args.lead_rows:,} rows xlsx {step}", result, step)
    print_total(report, "leads")
    if args.pg_server:
        leads_on_postgresql(args, path, tmp, report)


def leads_on_postgresql(args, path: Path, tmp: Path, report: dict) -> None:
    """The same file into a fresh PostgreSQL database holding the same demo and stored leads."""
    from bench.loadtest import Database

    database = Database("postgresql", args.pg_server, keep=False)
    database.create()
    try:
        for step in ("migrate", f"demo-{args.scale}", "topup-leads"):
            run_phase(step, database.url, tmp / "instance")
        database.analyze()
        for step in ("preview", "commit"):
            result = run_phase(step, database.url, tmp / "instance", path)
            report[f"leads-pg-{step}"] = result
            print_row(f"leads {args.lead_rows:,} rows PostgreSQL {step}", result, step)
        print_total(report, "leads-pg")
    finally:
        database.drop()


def print_total(report: dict, prefix: str) -> None:
    total = report[f"{prefix}-preview"]["seconds"] + report[f"{prefix}-commit"]["seconds"]
    cpu = report[f"{prefix}-preview"]["cpu_seconds"] + report[f"{prefix}-commit"]["cpu_seconds"]
    report[f"{prefix}-total-seconds"], report[f"{prefix}-total-cpu-seconds"] = round(total, 2), round(cpu, 2)
    print(
        f"{prefix + ' preview + commit':<34} {total:>7.2f} s (CPU {cpu:.2f} s)  target ≤ {LEADS_TARGET_SECONDS:g} s together"
    )


def export_part(pristine: Path, tmp: Path, report: dict, args) -> None:
    work = tmp / "work-export.db"
    copy_db(pristine, work)
    added = add_companies(work, EXPORT_COMPANIES)
    for fmt in ("xlsx", "csv"):
        result = run_phase(f"export-{fmt}", work, tmp / "instance")
        result["companies_added_for_bench"] = added
        report[f"export-{fmt}"] = result
        print_row(f"export {result['companies']:,} companies {fmt}", result, "export")


PARTS = {"tax": tax_part, "leads": leads_part, "export": export_part}


def print_row(label: str, result: dict, kind: str) -> None:
    ok = result["seconds"] <= TARGET_SECONDS[kind] and result["peak_mb"] <= TARGET_MB
    extra = {k: v for k, v in result.items() if k not in ("seconds", "cpu_seconds", "peak_mb", "baseline_mb")}
    print(
        f"{label:<34} {result['seconds']:>7.2f} s (CPU {result.get('cpu_seconds', 0):.2f} s)  peak {result['peak_mb']:>6.1f} MB "
        f"(baseline {result['baseline_mb']:.0f} MB)  {'OK' if ok else 'SLOW/BIG'}  {extra}"
    )


if __name__ == "__main__":
    sys.exit(main())
