"""Load test: the production stack under a busy morning, on PostgreSQL or SQLite.

    python -m bench.loadtest                         # PostgreSQL on 127.0.0.1:5432, 3 minutes
    python -m bench.loadtest --database sqlite       # the same on a SQLite file (WAL, BEGIN IMMEDIATE)
    python -m bench.loadtest --duration 30 --users 20 --rate 40 --keep

What it does, bounded in time, on 127.0.0.1 only, stopping by itself:

1. a fresh database — ``crm_load_<random>`` on the PostgreSQL server (trust auth, user postgres)
   or ``bench-results/crm_load_<random>.db`` — then ``crm db upgrade`` and
   ``crm demo load --scale N --as-of 2026-11`` (then ANALYZE on PostgreSQL, as autovacuum would);
   every process runs with CRM_TODAY=2026-11-15;
   then ``crm cache warm`` (as the README's deploy runs it before a start; ``--cold`` skips it);
2. gunicorn with 4 workers on a free port (``gunicorn -w 4 'crm:create_server_app()'``) and the
   scheduler process (``crm scheduler run``) beside it; the admin generates last month's
   briefing so there is one to download;
3. locust, headless, for ``--duration`` seconds (bench/locustfile.py): ``--users`` people signed
   in as the demo accounts (40 % promoters, 40 % building managers, 10 % admin, 10 % leader),
   together offering ``--rate`` requests/s (each person a Poisson process: independent clicks,
   not sixty in step): 80 % page reads, 15 % writes (follow-ups and stage moves on the promoter's
   own leads), 5 % imports and PDFs;
4. reports requests/s, p50/p95/p99 for pages (everything but PDFs, with reads, writes, imports
   and sign-ins broken out) and for PDFs, the error rate (non-2xx/3xx, "database is locked" in
   a body or in the server log, and responses that were not what the user wanted), the peak
   memory of each gunicorn worker (VmHWM, plus RSS sampled every 2 s), where the machine's CPU
   went, and lost writes: every follow-up the server accepted must be in the database (looked up
   by its unique tag) and every moved lead must hold the stage of its last accepted move.

Prints a table and writes bench-results/loadtest-{postgresql,sqlite}.json; the server's log is
kept beside it (loadtest-<db>-server.log), and every request (loadtest-<db>-requests.json).
Exit 0 whether or not the targets are met (a benchmark reports); non-zero only when the harness itself fails (no database, the server does
not start, locust crashes). Every process it starts is ended, and the database dropped (unless
``--keep``), even when it fails or is interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
BIN = Path(sys.executable).parent
TODAY = "2026-11-15"
AS_OF = "2026-11"
BRIEFING_MONTH = "2026-10"
PDF_YEAR = 2026
WORKERS = 4
PASSWORD_ENV = "CRM_DEMO_PASSWORD"
DEFAULT_PASSWORD = "xigang-demo-2026"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"

TARGET_RPS = 100.0
TARGET_PAGE_P95_MS = 300.0
TARGET_PDF_P95_MS = 5000.0
MIX = {"read": 0.80, "write": 0.15, "heavy": 0.05}
# Who the simulated people are: promoters carry the writes, admin and leader the PDFs and imports.
ROLE_SHARES = (("promoter", 0.4), ("manager", 0.4), ("admin", 0.1), ("leader", 0.1))
SEARCHES = ("科技", "大连", "贸易", "西岗", "咨询", "物流", "金融", "服务")
WORKING_STAGES = ("lead", "contact", "visit", "negotiation")
TAX_ROWS = 20


class HarnessError(RuntimeError):
    """The benchmark itself could not run (not: the server was slow or failed requests)."""


# --------------------------------------------------------------------------------------------
# processes: started in their own process group, always ended


@dataclass
class Processes:
    """Every process the harness started; ``stop_all`` ends them (TERM, then KILL)."""

    started: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict, log: Path) -> subprocess.Popen:
        handle = open(log, "ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()
        self.started.append((name, process))
        return process

    def stop(self, process: subprocess.Popen, grace: float = 20.0) -> None:
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        except ProcessLookupError:
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            try:
                self.stop(process)
            except Exception as error:  # keep ending the others
                print(f"could not stop pid {process.pid}: {error}", file=sys.stderr)


def run_command(argv: list[str], env: dict, log: Path, timeout: float, what: str) -> float:
    """Run a CLI step to completion; its output goes to ``log``. Returns the seconds it took."""
    started = time.perf_counter()
    with open(log, "ab") as handle:
        handle.write(f"\n$ {' '.join(argv)}\n".encode())
        handle.flush()
        try:
            result = subprocess.run(
                argv,
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{what} took longer than {timeout:.0f} s (see {log})") from None
    if result.returncode != 0:
        raise HarnessError(f"{what} failed with exit code {result.returncode}: {tail(log)}")
    return time.perf_counter() - started


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------------------------
# the database


class Database:
    """A fresh database for one run: created here, dropped at the end unless kept."""

    def __init__(self, kind: str, pg_server: str, keep: bool):
        self.kind, self.keep = kind, keep
        self.name = f"crm_load_{secrets.token_hex(4)}"
        if kind == "postgresql":
            self.server = pg_server.rstrip("/")
            self.url = f"{self.server}/{self.name}"
            self.path = None
        else:
            RESULTS.mkdir(exist_ok=True)
            self.path = RESULTS / f"{self.name}.db"
            self.url = f"sqlite:///{self.path}"
        self.created = False

    def _admin(self):
        from sqlalchemy import create_engine

        return create_engine(f"{self.server}/postgres", isolation_level="AUTOCOMMIT")

    def create(self) -> None:
        if self.kind == "postgresql":
            from sqlalchemy import text

            engine = self._admin()
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            except Exception as error:
                raise HarnessError(f"cannot create database {self.name} on {self.server}: {error}") from error
            finally:
                engine.dispose()
        self.created = True

    def drop(self) -> None:
        if not self.created or self.keep:
            return
        if self.kind == "postgresql":
            from sqlalchemy import text

            engine = self._admin()
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            finally:
                engine.dispose()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def engine(self):
        from sqlalchemy import create_engine

        return create_engine(self.url)

    def analyze(self) -> None:
        """Planner statistics after the bulk load, as autovacuum gives a production server soon
        after — without them PostgreSQL plans the district aggregates as nested loops over
        "100 rows" that are really 40,000 (autovacuum is off on this machine's server)."""
        if self.kind != "postgresql":
            return  # the app never runs ANALYZE on SQLite, so neither does the benchmark
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
        finally:
            engine.dispose()


# --------------------------------------------------------------------------------------------
# the plan: who each simulated person is and what they may touch


def role_slots(users: int) -> list[str]:
    """``users`` roles in the ROLE_SHARES proportions, interleaved so a ramp-up mixes them."""
    quotas = {role: share * users for role, share in ROLE_SHARES}
    given: Counter = Counter()
    roles = []
    for _ in range(users):
        role = max(quotas, key=lambda r: quotas[r] - given[r])
        given[role] += 1
        roles.append(role)
    return roles


def pages_of(role: str) -> list[tuple[str, str]]:
    """(url, name in the statistics) of the pages a person of ``role`` opens in the morning."""
    pages = [
        ("/", "/"),
        ("/buildings", "/buildings"),
        ("/buildings/{code}", "/buildings/<code>"),
        ("/companies?q={q}", "/companies?q=…"),
    ]
    if role == "manager":
        return pages + [("/buildings/{code}/tax", "/buildings/<code>/tax")]
    pages += [("/leads", "/leads"), ("/leads/board", "/leads/board"), ("/followups", "/followups"), ("/tax", "/tax")]
    if role == "promoter":
        pages.append(("/leads?owner=me", "/leads?owner=me"))
    if role in ("admin", "leader"):
        pages.append(("/reports", "/reports"))
    return pages


def tax_csv(codes: list[str]) -> str:
    """A small tax file (last month) for companies the database knows: a realistic preview."""
    lines = ["统一社会信用代码,企业名称,所属期,全口径税收,区级税收"]
    for index, code in enumerate(codes):
        lines.append(f"{code},,{BRIEFING_MONTH},{123456.78 + index * 1000:.2f},{34567.89 + index * 100:.2f}")
    return "\n".join(lines) + "\n"


def build_plan(db: Database, users: int, rate: float, run_id: str, password: str, pdfs: list) -> dict:
    """Slots (one per locust user) read from the loaded demo database."""
    from sqlalchemy import text

    from crm.services.uscc import uscc_problem

    engine = db.engine()
    try:
        with engine.connect() as connection:
            accounts = connection.execute(
                text("SELECT id, username, role FROM users WHERE active = :yes ORDER BY username"), {"yes": True}
            ).all()
            codes = [row[0] for row in connection.execute(text("SELECT code FROM buildings ORDER BY code"))]
            managed = defaultdict(list)
            for user_id, code in connection.execute(
                text("SELECT ub.user_id, b.code FROM user_buildings ub JOIN buildings b ON b.id = ub.building_id")
            ):
                managed[user_id].append(code)
            leads = defaultdict(list)
            for lead_id, owner_id, stage in connection.execute(
                text(
                    "SELECT id, owner_id, stage FROM leads WHERE merged_into_id IS NULL AND stage IN "
                    "('lead', 'contact', 'visit', 'negotiation') ORDER BY id"
                )
            ):
                leads[owner_id].append((lead_id, stage))
            usccs = [
                row[0]
                for row in connection.execute(
                    text("SELECT uscc FROM companies WHERE uscc IS NOT NULL ORDER BY id LIMIT 200")
                )
            ]
    finally:
        engine.dispose()

    demo_names = {"admin", "leader"} | {f"zhaoshang{i}" for i in range(1, 4)} | {f"louyu{i}" for i in range(1, 6)}
    by_role = defaultdict(list)
    for user_id, username, role in accounts:
        if username in demo_names and (role != "manager" or managed[user_id]):
            by_role[role].append((user_id, username))
    missing = [role for role, _ in ROLE_SHARES if not by_role[role]]
    if missing:
        raise HarnessError(f"the demo data has no usable account for role(s) {', '.join(missing)}")

    roles = role_slots(users)
    slots, used = [], Counter()
    for role in roles:
        user_id, username = by_role[role][used[role] % len(by_role[role])]
        used[role] += 1
        slots.append(
            {
                "username": username,
                "role": role,
                "user_id": user_id,
                "pages": pages_of(role),
                "buildings": managed[user_id] if role == "manager" else codes,
            }
        )
    # Each promoter's working leads are dealt out among the people signed in as that promoter, so
    # no two simulated people ever touch the same lead: any refused write is then a real fault.
    for user_id, _username in by_role["promoter"]:
        mine = [slot for slot in slots if slot["user_id"] == user_id]
        for index, (lead_id, stage) in enumerate(leads[user_id]):
            if mine:
                mine[index % len(mine)].setdefault("leads", {})[str(lead_id)] = stage
    valid = [code for code in usccs if uscc_problem(code) is None][:TAX_ROWS]
    return {
        "run_id": run_id,
        "password": password,
        "mix": MIX,
        "slots": slots,
        "queries": list(SEARCHES),
        "requests_per_user_per_second": rate / users,
        "pdfs": pdfs,
        "import_csv": tax_csv(valid) if valid else "",
        "request_timeout": 60.0,
    }


# --------------------------------------------------------------------------------------------
# talking to the server outside locust (readiness, the briefing to download)


class Browser:
    """A tiny cookie-keeping client on the standard library, for the harness's own requests."""

    CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        url = self.base + urllib.parse.quote(path, safe="/?=&%:")
        try:
            with self.opener.open(url, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", errors="replace")

    def post(self, path: str, form: dict, timeout: float = 120) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", errors="replace")

    def token(self, html: str) -> str:
        match = self.CSRF.search(html)
        if match is None:
            raise HarnessError("no csrf_token on the page")
        return match.group(1)

    def sign_in(self, username: str, password: str) -> None:
        _status, page = self.get("/login")
        status, landing = self.post(
            "/login", {"csrf_token": self.token(page), "username": username, "password": password}
        )
        if status != 200 or 'name="password"' in landing:
            raise HarnessError(f"the harness could not sign in as {username}")


def wait_until_serving(base: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise HarnessError(f"gunicorn exited with {server.returncode}: {tail(log)}")
        try:
            with urllib.request.urlopen(base + "/login", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise HarnessError(f"gunicorn did not answer /login within {timeout:.0f} s: {tail(log)}")


def prepare_pdfs(base: str, password: str) -> tuple[list, str]:
    """The PDFs leadership downloads: the candidate list, and last month's briefing when the
    briefings blueprint is installed (the admin generates it first, as on the 6th)."""
    pdfs = [(f"/reports/candidates.pdf?year={PDF_YEAR}", "/reports/candidates.pdf")]
    admin = Browser(base)
    admin.sign_in("admin", password)
    status, page = admin.get("/reports/briefings")
    if status == 404:
        return pdfs, "no briefings blueprint: only the candidate-list PDF is downloaded"
    if status != 200:
        return pdfs, f"/reports/briefings answered HTTP {status}: only the candidate-list PDF is downloaded"
    links = re.findall(r"/reports/briefings/(\d+)/download", page)
    if not links:
        status, page = admin.post("/reports/briefings", {"csrf_token": admin.token(page), "month": BRIEFING_MONTH})
        links = re.findall(r"/reports/briefings/(\d+)/download", admin.get("/reports/briefings")[1])
    if not links:
        return pdfs, f"the {BRIEFING_MONTH} briefing could not be generated (HTTP {status}): candidate list only"
    latest = max(int(x) for x in links)
    pdfs.append((f"/reports/briefings/{latest}/download", "/reports/briefings/<id>/download"))
    return pdfs, f"briefing #{latest} ({BRIEFING_MONTH}) generated by the admin before the run"


def service_times(base: str, password: str, plan: dict, repeat: int = 5) -> dict[str, float]:
    """Median ms of each route with nothing else running: what a request costs the server, as
    opposed to its time under load (which adds the wait for a free worker)."""
    times: dict[str, float] = {}
    for role in ("leader", "manager", "promoter", "admin"):
        slot = next(s for s in plan["slots"] if s["role"] == role)
        person = Browser(base)
        person.sign_in(slot["username"], password)
        targets = [
            (url.replace("{code}", slot["buildings"][0]).replace("{q}", plan["queries"][0]), name)
            for url, name in slot["pages"]
        ]
        if slot.get("leads"):
            targets += [
                (f"/leads/{next(iter(slot['leads']))}", "/leads/<id>"),
                ("/leads/board?owner=me", "/leads/board?owner=me"),
            ]
        if role in ("admin", "leader"):
            targets += [tuple(pdf) for pdf in plan["pdfs"]]
        for url, name in targets:
            if name in times:
                continue
            measured = []
            for _ in range(repeat):
                started = time.perf_counter()
                status, _body = person.get(url)
                measured.append((time.perf_counter() - started) * 1000)
            if status == 200:
                times[name] = round(statistics.median(measured), 1)
    return times


def where_time_went(routes: list[dict], unloaded: dict[str, float]) -> list[dict]:
    """Each route's share of the server's work in the run: requests × unloaded time."""
    work = {r["group"]: r["requests"] * unloaded[r["group"]] for r in routes if r["group"] in unloaded}
    total = sum(work.values()) or 1
    return sorted(
        (
            {
                "route": name,
                "requests": next(r["requests"] for r in routes if r["group"] == name),
                "unloaded_ms": unloaded[name],
                "work_share": round(share / total, 3),
            }
            for name, share in work.items()
        ),
        key=lambda row: -row["work_share"],
    )


# --------------------------------------------------------------------------------------------
# watching the machine: worker memory and where the CPU went


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids(database: str) -> list[int]:
    """The server's background processes and the backends serving ``database`` — not those of
    other databases (a test suite running beside the benchmark is "other processes")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            is_backend = "(" in title or "[local]" in title
            if not is_backend or f" {database} " in title:
                pids.append(int(entry.name))
    return pids


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Watcher(threading.Thread):
    """Samples the workers' RSS and CPU every ``interval`` seconds while the load runs."""

    def __init__(self, master: int, interval: float = 2.0):
        super().__init__(daemon=True)
        self.master, self.interval = master, interval
        self.peak_rss: dict[int, int] = {}
        self.last_hwm: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.cpu_at_first_sight: dict[int, float] = {}
        self.seen: list[int] = []
        self.halt = threading.Event()

    def sample(self) -> None:
        for pid in children_of(self.master):
            if pid not in self.seen:
                self.seen.append(pid)
                self.cpu_at_first_sight[pid] = cpu_seconds(pid)
            rss, hwm = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
            if rss is not None:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), rss)
            if hwm is not None:
                self.last_hwm[pid] = hwm
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu_seconds(pid))

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.sample()


# --------------------------------------------------------------------------------------------
# figures


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


def latency_row(label: str, rows: list[list], seconds: float) -> dict:
    times = [r[3] for r in rows]
    failed = sum(1 for r in rows if r[5])
    return {
        "group": label,
        "requests": len(rows),
        "per_second": round(len(rows) / seconds, 1) if seconds else None,
        "p50_ms": rnd(percentile(times, 50)),
        "p95_ms": rnd(percentile(times, 95)),
        "p99_ms": rnd(percentile(times, 99)),
        "max_ms": rnd(max(times) if times else None),
        "failed": failed,
        "error_rate": round(failed / len(rows), 4) if rows else 0.0,
    }


def rnd(value):
    return None if value is None else round(value, 1)


def server_log_findings(log: Path) -> dict:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    exceptions = Counter(m.group(1) for m in re.finditer(r"^(\w[\w.]*(?:Error|Exception)[^\n]{0,160})", text, re.M))
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "database_is_locked": text.count("database is locked"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "worker_boots": len(re.findall(r"Booting worker with pid", text)),
        "exceptions": dict(exceptions.most_common(10)),
    }


def check_writes(db: Database, run_id: str, outcome: dict) -> dict:
    """Every accepted follow-up is in the database; every moved lead holds its last accepted stage."""
    from sqlalchemy import bindparam, text

    accepted = set(outcome["accepted_followups"])
    tag = re.compile(rf"LT-{re.escape(run_id)}-\d+-\d+")
    engine = db.engine()
    try:
        with engine.connect() as connection:
            stored = {
                m.group(0)
                for (notes,) in connection.execute(
                    text("SELECT notes FROM followups WHERE notes LIKE :pattern"), {"pattern": f"%LT-{run_id}-%"}
                )
                for m in [tag.search(notes)]
                if m
            }
            moved = {int(k): v for k, v in outcome["final_stages"].items()}
            stages = {}
            if moved:
                stmt = text("SELECT id, stage FROM leads WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
                stages = dict(connection.execute(stmt, {"ids": sorted(moved)}).all())
    finally:
        engine.dispose()
    lost_moves = sorted(lead for lead, stage in moved.items() if stages.get(lead) != stage)
    return {
        "followups_accepted": len(accepted),
        "followups_found": len(accepted & stored),
        "followups_lost": sorted(accepted - stored)[:50],
        "followups_lost_count": len(accepted - stored),
        "followups_stored_not_acknowledged": len(stored - accepted),
        "leads_moved": len(moved),
        "stage_moves_lost": lost_moves[:50],
        "stage_moves_lost_count": len(lost_moves),
    }


def summarise(outcome: dict, seconds: float) -> dict:
    samples = outcome["samples"]
    is_pdf = [r[1] == "heavy" and (".pdf" in r[2] or "/download" in r[2]) for r in samples]
    pdf = [r for r, flag in zip(samples, is_pdf) if flag]
    pages = [r for r, flag in zip(samples, is_pdf) if not flag]
    groups = [latency_row("all requests", samples, seconds), latency_row("pages (all but PDFs)", pages, seconds)]
    for label, category in (
        ("· reads", "read"),
        ("· writes", "write"),
        ("· imports", "heavy"),
        ("· sign-ins", "signin"),
    ):
        groups.append(latency_row(label, [r for r in pages if r[1] == category], seconds))
    groups.append(latency_row("PDFs", pdf, seconds))
    by_name = defaultdict(list)
    for r in samples:
        by_name[(r[1], r[2])].append(r)
    routes = sorted(
        (latency_row(name, rows, seconds) | {"category": category} for (category, name), rows in by_name.items()),
        key=lambda row: -(row["p95_ms"] or 0),
    )
    failures = Counter(f"{r[2]}: {r[5]}" for r in samples if r[5])
    # Latency over time, per 10 s: tells the sign-in ramp and a warming cache from the steady state.
    first = min(r[0] for r in samples)
    buckets = defaultdict(list)
    for r in samples:
        buckets[int((r[0] - first) // 10) * 10].append(r)
    timeline = [
        {"from_s": start, **{k: v for k, v in latency_row("", rows, 10).items() if k != "group"}}
        for start, rows in sorted(buckets.items())
    ]
    mix = Counter(r[1] for r in samples if r[1] != "signin")
    mixed = sum(mix.values()) or 1
    return {
        "groups": groups,
        "routes": routes,
        "failures": dict(failures.most_common(30)),
        "timeline": timeline,
        "mix": {category: round(count / mixed, 3) for category, count in sorted(mix.items())},
        "locked_in_responses": sum(1 for r in samples if "database is locked" in r[5]),
    }


def judge(result: dict) -> list[tuple[str, str, bool]]:
    groups = {g["group"]: g for g in result["latency"]["groups"]}
    every, pages, pdfs = groups["all requests"], groups["pages (all but PDFs)"], groups["PDFs"]
    writes = result["writes"]
    checks = [
        ("requests/s", f"{every['per_second']} ≥ {TARGET_RPS:.0f}", (every["per_second"] or 0) >= TARGET_RPS),
        (
            "pages p95",
            f"{pages['p95_ms']} ms ≤ {TARGET_PAGE_P95_MS:.0f} ms",
            (pages["p95_ms"] or 0) <= TARGET_PAGE_P95_MS,
        ),
        (
            "PDFs p95",
            f"{pdfs['p95_ms']} ms ≤ {TARGET_PDF_P95_MS:.0f} ms",
            pdfs["requests"] > 0 and (pdfs["p95_ms"] or 0) <= TARGET_PDF_P95_MS,
        ),
        ("errors", f"{every['failed']} of {every['requests']}", every["failed"] == 0),
        (
            "lost writes",
            f"{writes['followups_lost_count']} follow-ups of {writes['followups_accepted']}, "
            f"{writes['stage_moves_lost_count']} stage moves of {writes['leads_moved']} leads",
            writes["followups_lost_count"] == 0
            and writes["stage_moves_lost_count"] == 0
            and writes["followups_accepted"] > 0,
        ),
    ]
    locked = result["latency"]["locked_in_responses"] + result["server_log"]["database_is_locked"]
    checks.append(('"database is locked"', f"{locked}", locked == 0))
    return checks


def print_report(result: dict) -> None:
    run = result["run"]
    print(
        f"\n== load test on {run['database']} — scale {run['scale']}, {run['users']} users offering "
        f"{run['rate']:.0f} req/s for {run['duration_s']} s, {WORKERS} gunicorn workers =="
    )
    print(f"{'':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'failed':>8}")
    for g in result["latency"]["groups"]:
        if g["requests"]:
            print(
                f"{g['group']:<22}{g['requests']:>9}{g['per_second']:>8}{fmt(g['p50_ms'])}{fmt(g['p95_ms'])}"
                f"{fmt(g['p99_ms'])}{fmt(g['max_ms'])}{g['failed']:>8}"
            )
    print("\nslowest routes (p95):")
    for r in result["latency"]["routes"][:8]:
        print(
            f"  {r['group']:<34}{r['requests']:>7}{fmt(r['p50_ms'])}{fmt(r['p95_ms'])}{fmt(r['p99_ms'])}{r['failed']:>6}"
        )
    print(
        "\nover time (s: req/s, p50/p95 ms): "
        + "  ".join(
            f"{t['from_s']}: {t['per_second']}, {fmt(t['p50_ms']).strip()}/{fmt(t['p95_ms']).strip()}"
            for t in result["latency"]["timeline"]
        )
    )
    print("\nwhere the server's time went (page and PDF GETs: requests × time of the route alone):")
    for w in result["work"][:8]:
        print(f"  {w['route']:<34}{w['requests']:>7} × {w['unloaded_ms']:>6.0f} ms  {w['work_share']:>6.1%}")
    print("\nmix: " + ", ".join(f"{k} {v:.1%}" for k, v in result["latency"]["mix"].items()))
    if result["latency"]["failures"]:
        print("failures:")
        for what, n in result["latency"]["failures"].items():
            print(f"  {n:>6} × {what}")
    mem = result["memory"]
    print(
        "\npeak memory per gunicorn worker (VmHWM MB): "
        + ", ".join(f"{w['pid']}: {w['vmhwm_mb']}" for w in mem["workers"])
        + f"  (max {mem['max_worker_mb']} MB)"
    )
    cpu = result["cpu"]
    print(
        f"CPU over the run: machine {cpu['machine_busy_pct']}% of {cpu['cores']} cores busy — "
        + ", ".join(f"{k} {v} s" for k, v in cpu["seconds"].items())
    )
    print(
        f"  the stack spent {cpu['stack_cpu_ms_per_request']} ms of CPU per request: at most "
        f"{cpu['ceiling_rps']} req/s on {cpu['cores']} otherwise idle cores"
    )
    log = result["server_log"]
    print(
        f"server log: {log['tracebacks']} tracebacks, {log['worker_timeouts']} worker timeouts, "
        f"{log['database_is_locked']} 'database is locked', {log['worker_boots']} worker boots"
    )
    w = result["writes"]
    print(
        f"writes: {w['followups_found']}/{w['followups_accepted']} accepted follow-ups found in the database, "
        f"{w['leads_moved'] - w['stage_moves_lost_count']}/{w['leads_moved']} moved leads hold their last stage"
    )
    print("\ntargets:")
    for name, figure, ok in result["targets"]:
        print(f"  {'OK  ' if ok else 'MISS'} {name:<22} {figure}")


def fmt(value) -> str:
    return f"{'—' if value is None else f'{value:.0f}':>9}"


# --------------------------------------------------------------------------------------------
# the run


def environment(db: Database, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_DATABASE_URL=db.url,
        CRM_TODAY=TODAY,
        CRM_INSTANCE_PATH=str(instance),
        # One key for all four workers (each would otherwise race to generate its own).
        CRM_SECRET_KEY=secrets.token_hex(32),
        PYTHONUNBUFFERED="1",
    )
    if PASSWORD_ENV in os.environ:
        env[PASSWORD_ENV] = os.environ[PASSWORD_ENV]
    return env


def ceiling(seconds: dict, requests: int, cores: int) -> dict:
    """CPU the stack spent per request (web workers, database, load generator) and the request
    rate that would fill every core with it: the most this machine can serve with this mix, had
    nothing else been running."""
    spent = sum(v for k, v in seconds.items() if k != "other processes")
    per_request = 1000 * spent / requests
    return {"stack_cpu_ms_per_request": round(per_request, 1), "ceiling_rps": round(cores * 1000 / per_request, 1)}


def run(args, work: Path, processes: Processes, db: Database) -> dict:
    env = environment(db, work / "instance")
    password = env.get(PASSWORD_ENV, DEFAULT_PASSWORD)
    setup_log = work / "setup.log"
    server_log = RESULTS / f"loadtest-{args.database}-server.log"
    server_log.unlink(missing_ok=True)
    crm = str(BIN / "crm")

    print(f"database {db.name} ({args.database}) …", flush=True)
    db.create()
    timings = {"upgrade_s": round(run_command([crm, "db", "upgrade"], env, setup_log, 600, "crm db upgrade"), 1)}
    print(f"demo data at scale {args.scale} …", flush=True)
    timings["demo_load_s"] = round(
        run_command(
            [crm, "demo", "load", "--scale", str(args.scale), "--as-of", AS_OF], env, setup_log, 1800, "crm demo load"
        ),
        1,
    )
    started = time.perf_counter()
    db.analyze()
    timings["analyze_s"] = round(time.perf_counter() - started, 1)
    print(f"  loaded in {timings['demo_load_s']} s", flush=True)
    if not args.cold:
        timings["cache_warm_s"] = round(run_command([crm, "cache", "warm"], env, setup_log, 1800, "crm cache warm"), 1)
        print(f"  host store warmed (crm cache warm, as a deploy runs it) in {timings['cache_warm_s']} s", flush=True)

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = processes.start(
        "gunicorn",
        [
            str(BIN / "python"),
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "crm:create_server_app()",
        ],
        env,
        server_log,
    )
    processes.start("scheduler", [crm, "scheduler", "run"], env, work / "scheduler.log")
    wait_until_serving(base, server, server_log)
    pdfs, briefing_note = prepare_pdfs(base, password)
    print(f"gunicorn on {base} (pid {server.pid}), scheduler beside it; {briefing_note}", flush=True)

    run_id = secrets.token_hex(3)
    plan = build_plan(db, args.users, args.rate, run_id, password, pdfs)
    plan_path, out_path = work / "plan.json", work / "outcome.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    locust_env = env | {"LOADTEST_PLAN": str(plan_path), "LOADTEST_OUT": str(out_path)}
    spawn_rate = max(args.users / 10, 1)

    watcher = Watcher(server.pid)
    watcher.sample()
    scheduler_pid = next(p.pid for n, p in processes.started if n == "scheduler")
    pg_before = {pid: cpu_seconds(pid) for pid in postgres_pids(db.name)} if args.database == "postgresql" else {}
    busy0, total0 = machine_cpu()
    sched0 = cpu_seconds(scheduler_pid)
    print(f"locust: {args.users} users, {args.rate:.0f} req/s offered, {args.duration} s …", flush=True)
    watcher.start()
    started = time.monotonic()
    locust = processes.start(
        "locust",
        [
            str(BIN / "python"),
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            f"{spawn_rate:g}",
            "-t",
            f"{args.duration}s",
            "--host",
            base,
            "--stop-timeout",
            "15",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        locust_env,
        work / "locust.log",
    )
    locust_cpu = 0.0
    try:
        while locust.poll() is None:
            locust_cpu = max(locust_cpu, cpu_seconds(locust.pid))
            if time.monotonic() - started > args.duration + 120:
                raise HarnessError("locust did not stop on time")
            time.sleep(1)
    finally:
        watcher.halt.set()
    elapsed = time.monotonic() - started
    watcher.sample()
    busy1, total1 = machine_cpu()
    if locust.returncode != 0 or not out_path.exists():
        raise HarnessError(f"locust failed (exit {locust.returncode}): {tail(work / 'locust.log')}")
    outcome = json.loads(out_path.read_text(encoding="utf-8"))
    if not outcome["samples"]:
        raise HarnessError(f"locust sent no request: {tail(work / 'locust.log')}")

    workers = [
        {
            "pid": pid,
            "vmhwm_mb": round(watcher.last_hwm.get(pid, 0) / 1024, 1),
            "peak_rss_sampled_mb": round(watcher.peak_rss.get(pid, 0) / 1024, 1),
            "cpu_s": round(watcher.cpu.get(pid, 0.0) - watcher.cpu_at_first_sight.get(pid, 0.0), 1),
        }
        for pid in watcher.seen
    ]
    cores = os.cpu_count() or 1
    pg_cpu = (
        sum(max(cpu_seconds(pid) - pg_before.get(pid, 0.0), 0.0) for pid in postgres_pids(db.name))
        if pg_before
        else 0.0
    )
    worker_cpu = sum(w["cpu_s"] for w in workers)
    seconds = {
        "gunicorn workers": round(worker_cpu, 1),
        "postgres": round(pg_cpu, 1),
        "locust": round(locust_cpu, 1),
        "scheduler": round(cpu_seconds(scheduler_pid) - sched0, 1),
    }
    machine_busy = (busy1 - busy0) / os.sysconf("SC_CLK_TCK")
    seconds["other processes"] = round(max(machine_busy - sum(seconds.values()), 0.0), 1)

    print("timing each route alone …", flush=True)
    unloaded = service_times(base, password, plan)
    processes.stop_all()  # before reading the database: every acknowledged write has been committed
    window = max(r[0] for r in outcome["samples"]) - min(r[0] for r in outcome["samples"])
    result = {
        "run": {
            "database": args.database,
            "scale": args.scale,
            "users": args.users,
            "rate": args.rate,
            "duration_s": args.duration,
            "elapsed_s": round(elapsed, 1),
            "window_s": round(window, 1),
            "workers": WORKERS,
            "today": TODAY,
            "as_of": AS_OF,
            "run_id": run_id,
            "database_name": db.name,
            "briefing": briefing_note,
            **timings,
        },
        "latency": summarise(outcome, window or elapsed),
        "memory": {"workers": workers, "max_worker_mb": max((w["vmhwm_mb"] for w in workers), default=None)},
        "cpu": {
            "cores": cores,
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(total1 - total0, 1), 1),
            "seconds": seconds,
            "worker_cpu_ms_per_request": round(1000 * worker_cpu / len(outcome["samples"]), 1),
            **ceiling(seconds, len(outcome["samples"]), cores),
        },
        "server_log": server_log_findings(server_log),
        "writes": check_writes(db, run_id, outcome),
        "server_log_path": str(server_log.relative_to(ROOT)),
    }
    result["work"] = where_time_went(result["latency"]["routes"], unloaded)
    result["targets"] = judge(result)
    return result


def interrupted(_signum, _frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--duration", type=int, default=180, help="seconds of load (default 180)")
    parser.add_argument("--users", type=int, default=60, help="simulated people signed in at once (default 60)")
    parser.add_argument(
        "--rate",
        type=float,
        default=120.0,
        help="requests/s the users offer together (default 120, above the 100 req/s target)",
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="start the server without `crm cache warm` (the first minute after a bare start)",
    )
    parser.add_argument(
        "--pg-server", default=PG_SERVER, help=f"PostgreSQL server URL without database (default {PG_SERVER})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.users < 10:
        parser.error("--users must be at least 10 (every role needs someone)")

    RESULTS.mkdir(exist_ok=True)
    processes = Processes()
    db = Database(args.database, args.pg_server, args.keep)
    # SIGTERM (a CI timeout, kill) ends the run through the same cleanup as Ctrl-C.
    signal.signal(signal.SIGTERM, interrupted)
    work = Path(tempfile.mkdtemp(prefix="crm-loadtest-"))
    try:
        result = run(args, work, processes, db)
    except HarnessError as error:
        print(f"load test harness failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr)
        return 130
    finally:
        processes.stop_all()
        try:
            db.drop()
        except Exception as error:
            print(f"could not drop {db.name}: {error}", file=sys.stderr)
        if (work / "locust.log").exists():  # locust's own complaints, for when the harness failed
            shutil.copy(work / "locust.log", RESULTS / f"loadtest-{args.database}-locust.log")
        if (work / "outcome.json").exists():  # every request, for a closer look at a bad second
            shutil.copy(work / "outcome.json", RESULTS / f"loadtest-{args.database}-requests.json")
        shutil.rmtree(work, ignore_errors=True)

    print_report(result)
    result["targets"] = [{"target": name, "figure": figure, "met": ok} for name, figure, ok in result["targets"]]
    out = RESULTS / f"loadtest-{args.database}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nwritten to {out.relative_to(ROOT)}" + (f"; database kept: {db.url}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
