"""Profiles, booklet, proposal and stacking-lens benchmark on a demo database.

    python -m bench.space --db bench-results/demo-scale1.db     # PDFs and /stacking (targets at scale 1)
    python -m bench.space --db bench-results/demo-scale10.db --only pages   # the building page with a lens

Works on a copy of the given (migrated, demo-loaded) SQLite file. Targets: profile PDF ≤ 1 s,
booklet of 35 ≤ 15 s, proposal ≤ 1 s (scale 1); the building page with a lens p95 ≤ 150 ms
(scale 10), /stacking p95 ≤ 500 ms (scale 1). Each is warmed up once; pages are timed through
the test client, signed in as the admin, after the first (cache-filling) request.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime


def timed(fn, runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["pdfs", "pages"], default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-space-")
    shutil.copy(args.db, os.path.join(folder, "crm.db"))
    os.environ["CRM_INSTANCE_PATH"] = folder
    os.environ["CRM_DATABASE_URL"] = "sqlite:///" + os.path.join(folder, "crm.db")
    from sqlalchemy import select

    from crm import create_server_app
    from crm.extensions import db
    from crm.models import Building, Lead, User
    from crm.reports.profile import build_booklet_pdf, build_external_pdf, build_internal_pdf
    from crm.reports.proposal import build_proposal_pdf
    from crm.services.matching import match_units
    from crm.space import profiles as S
    from crm.space import proposals as PR

    app = create_server_app()
    app.config["FRAGMENT_CACHE_DIR"] = ""  # one process: a first request is served by nothing stored
    today = date(2026, 11, 15)
    rows = []
    with app.app_context():
        session = db.session
        building = session.scalar(select(Building).order_by(Building.code))
        if args.only in (None, "pdfs"):
            now = datetime.now()
            rows.append(
                (
                    "profile 内部版 PDF",
                    timed(
                        lambda: build_internal_pdf(S.internal_data(session, building, "2026-10", today), now), args.runs
                    ),
                    1.0,
                )
            )
            rows.append(
                (
                    "profile 对外招商版 PDF",
                    timed(
                        lambda: build_external_pdf(S.external_data(session, building, today, None, {}), now), args.runs
                    ),
                    1.0,
                )
            )
            rows.append(
                (
                    "booklet PDF",
                    timed(lambda: build_booklet_pdf(S.booklet_data(session, today, None, {}), now), 1),
                    15.0,
                )
            )
            lead = session.scalar(select(Lead).where(Lead.intended_area.is_not(None)).order_by(Lead.id))
            found = match_units(session, lead, today).candidates[:5]

            def proposal():
                units = PR.resolve(session, lead, [[u.id for u in c.units] for c in found], today)
                build_proposal_pdf(PR.proposal_data(session, lead, units, today, None, {}), now)

            rows.append((f"proposal PDF ({len(found)} candidates)", timed(proposal, args.runs), 1.0))
        if args.only in (None, "pages"):
            admin = session.scalar(select(User).where(User.role == "admin"))
            admin.set_password("bench-password-123")
            admin.must_change_password = False
            session.commit()
            client = app.test_client()
            import re

            token = re.search(
                r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
            )
            signed_in = client.post(
                "/login",
                data={
                    "username": admin.username,
                    "password": "bench-password-123",
                    "csrf_token": token.group(1) if token else "",
                },
            )
            assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:300]
            assert client.get("/stacking").status_code == 200, "not signed in"
            codes = list(session.scalars(select(Building.code).order_by(Building.code)))[:20]
            for lens in ("expiry", "tax"):
                first = []
                for code in codes:
                    start = time.perf_counter()
                    assert client.get(f"/buildings/{code}?lens={lens}").status_code == 200
                    first.append(time.perf_counter() - start)
                rows.append((f"building page ?lens={lens}, first request (p95 of {len(codes)})", [p95(first)], 0.15))
                per_page = []
                for code in codes:
                    start = time.perf_counter()
                    client.get(f"/buildings/{code}?lens={lens}")
                    per_page.append(time.perf_counter() - start)
                rows.append((f"building page ?lens={lens}, repeated (p95 of {len(codes)})", [p95(per_page)], 0.15))
            first = []
            for lens in ("expiry", "industry", "registration"):  # the first request renders, later ones reuse it
                start = time.perf_counter()
                assert client.get(f"/stacking?lens={lens}").status_code == 200
                first.append(time.perf_counter() - start)
            rows.append(("/stacking, first request per lens (renders)", first, 0.5))
            rows.append(
                ("/stacking?lens=tax, repeated", timed(lambda: client.get("/stacking?lens=tax"), args.runs * 4), 0.5)
            )
    print(f"{'what':52} {'median s':>9} {'max s':>8} {'target':>7}")
    for name, values, target in rows:
        print(f"{name:52} {statistics.median(values):9.3f} {max(values):8.3f} {target:7.2f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
