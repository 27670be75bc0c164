"""Exactly once across processes: two real ``crm warnings evaluate`` processes at once against
the test database (SQLite file or PostgreSQL) record each of 40 warnings once and tell its owner
once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from crm.models import EarlyWarning, Notification
from tests import factories as f

CRM = str(Path(sys.executable).parent / "crm")
DUE = 40


def evaluate_process(database_url, tmp_path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_DATABASE_URL=database_url, CRM_INSTANCE_PATH=str(tmp_path / "instance"), CRM_SECRET_KEY="test-secret"
    )
    return subprocess.Popen(
        [CRM, "warnings", "evaluate", "--date", "2026-11-15"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def test_two_processes_at_once_record_and_tell_each_warning_once(database_url, session, tmp_path):
    b = f.building(session, "X01")
    manager = f.user(session, "mgr", "manager", [b])
    for n in range(DUE):
        c = f.company(session)
        for month in (8, 9, 10):
            session.add_all(
                [
                    f.TaxRecord(company=c, period=f"2025-{month:02d}", total_tax=1000, building=b),
                    f.TaxRecord(company=c, period=f"2026-{month:02d}", total_tax=100 + n, building=b),
                ]
            )
    session.flush()
    f.refresh_rollup(session)
    session.commit()

    first, second = evaluate_process(database_url, tmp_path), evaluate_process(database_url, tmp_path)
    (code1, out1), (code2, out2) = finish(first), finish(second)
    assert (code1, code2) == (0, 0), out1 + out2
    # One process found the 40 tax drops (and the building's October, unconfirmed on day 15); the
    # other found them all recorded.
    assert sorted(out.split("（")[0].split("，")[0] for out in (out1, out2)) == ["新预警 0 条", f"新预警 {DUE + 1} 条"]

    session.expire_all()
    assert session.scalar(select(func.count(EarlyWarning.id)).where(EarlyWarning.rule == "tax_drop")) == DUE
    told = session.execute(
        select(Notification.link, func.count())
        .where(Notification.recipient_id == manager.id)
        .group_by(Notification.link)
    ).all()
    assert len(told) == DUE + 1 and {n for _, n in told} == {1}  # each warning told once
