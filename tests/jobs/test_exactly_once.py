"""Exactly once, across processes: real ``crm scheduler tick`` subprocesses against the test
database (SQLite file or PostgreSQL) and the in-process aiosmtpd server, with 100 digests due.

Two processes at once deliver exactly 100 messages, one per recipient. A process that dies
after 30 sends — holding a claimed batch it never sent, as SIGKILL would leave it — and is then
restarted still ends at exactly 100: the claim of the dead process is taken over, not lost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.models import Delivery, JobRun
from tests.jobs.conftest import promoters_with_one_due_lead

DAY = date(2026, 12, 2)
DUE = 100
CRM = str(Path(sys.executable).parent / "crm")


def tick_process(database_url, mailbox, tmp_path, crash_after=None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_DATABASE_URL=database_url,
        CRM_INSTANCE_PATH=str(tmp_path / "instance"),
        CRM_SMTP_HOST="127.0.0.1",
        CRM_SMTP_PORT=str(mailbox.port),
        CRM_SMTP_TLS="none",
        CRM_SECRET_KEY="test-secret",
    )
    if crash_after is not None:
        env["CRM_TEST_CRASH_AFTER_SENDS"] = str(crash_after)
    return subprocess.Popen(
        [CRM, "scheduler", "tick", "--date", DAY.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def assert_exactly_once(mailbox, session):
    mailbox.wait_for(DUE)
    recipients = Counter(m["To"] for m in mailbox.messages)
    assert len(mailbox.messages) == DUE, f"{len(mailbox.messages)} messages, duplicates: {recipients.most_common(3)}"
    assert set(recipients.values()) == {1}
    assert len({m["Message-ID"] for m in mailbox.messages}) == DUE
    session.expire_all()
    assert session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent")) == DUE
    assert session.scalar(select(func.count(Delivery.id))) == DUE


@pytest.fixture()
def due_digests(session):
    promoters_with_one_due_lead(session, DUE, DAY)


def test_two_processes_at_once_deliver_each_reminder_once(database_url, session, smtp, due_digests, tmp_path):
    first = tick_process(database_url, smtp, tmp_path)
    second = tick_process(database_url, smtp, tmp_path)
    (code1, out1), (code2, out2) = finish(first), finish(second)
    assert (code1, code2) == (0, 0), out1 + out2
    assert_exactly_once(smtp, session)
    # One process recorded the digests; the other found the job done (or still running).
    run = session.scalar(select(JobRun).where(JobRun.job == "followup_digest"))
    assert (run.outcome, run.run_key, run.attempts) == ("ok", "2026-12-02", 1)
    assert "跟进提醒 100 份" in run.detail


def test_a_process_killed_mid_run_and_restarted_still_delivers_exactly_once(
    database_url, session, smtp, due_digests, tmp_path
):
    crashed = tick_process(database_url, smtp, tmp_path, crash_after=30)
    code, output = finish(crashed)
    assert code == 137, output
    smtp.wait_for(30)
    assert len(smtp.messages) == 30
    session.expire_all()
    assert session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sending")) > 0
    session.commit()  # end the read (on SQLite a transaction here would hold the write lock)
    code, output = finish(tick_process(database_url, smtp, tmp_path))
    assert code == 0, output
    assert "接管中断的投递" in output
    assert_exactly_once(smtp, session)


def test_a_crashing_process_beside_a_healthy_one_then_a_restart(database_url, session, smtp, due_digests, tmp_path):
    crashing = tick_process(database_url, smtp, tmp_path, crash_after=10)
    healthy = tick_process(database_url, smtp, tmp_path)
    finish(crashing)
    code, output = finish(healthy)
    assert code == 0, output
    code, output = finish(tick_process(database_url, smtp, tmp_path))
    assert code == 0, output
    assert_exactly_once(smtp, session)
