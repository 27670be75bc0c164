"""Uploaded import files are kept for a while only: refused and unconfirmed uploads a day, every
original 30 days and 500 MB in all (settings); the batch, its report and its changes stay."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from crm.io import imports as workflow
from crm.io.retention import MB, Retention, prune_originals
from crm.reminders.jobs import JOBS_BY_NAME, run_job
from crm.models import Company, ImportBatch, ImportChange
from crm.services.errors import DomainError
from tests import factories as f
from tests.io.conftest import TODAY
from tests.io.helpers import xlsx

UPLOADED = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)
COMPANY_HEADER = ["统一社会信用代码", "企业名称", "属地注册", "属地纳税"]


def good_file(n: int) -> bytes:
    return xlsx([COMPANY_HEADER, [f.make_uscc(900 + n), f"留存测试企业{n}有限公司", "是", "是"]])


def upload(session, user, data: bytes, at: datetime, name="企业.xlsx") -> ImportBatch:
    batch = workflow.preview(session, user, "companies", name, data, TODAY)
    batch.created_at = at
    session.commit()
    return batch


def kept(session) -> dict[int, tuple[str, int]]:
    """batch id -> (status, bytes of content still stored)."""
    return {b.id: (b.status, len(b.content)) for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id))}


def test_refused_and_unconfirmed_uploads_lose_their_file_after_a_day_and_keep_their_report(session, district):
    admin = district["admin"]
    junk = upload(session, admin, b"PK\x03\x04 not really a workbook" * 1000, UPLOADED, "junk.xlsx")
    waiting = upload(session, admin, good_file(1), UPLOADED)
    rejected = upload(session, admin, good_file(2), UPLOADED)
    workflow.reject(session, rejected)
    applied = upload(session, admin, good_file(3), UPLOADED)
    workflow.confirm(session, admin, applied, TODAY)
    session.commit()
    assert junk.status == "invalid" and waiting.status == "previewed"

    assert prune_originals(session, Retention(), now=UPLOADED + timedelta(hours=23)).removed == 0
    pruned = prune_originals(session, Retention(), now=UPLOADED + timedelta(hours=25))
    session.commit()
    assert (pruned.removed, pruned.expired) == (3, 1)
    session.expire_all()
    assert kept(session) == {
        junk.id: ("invalid", 0),
        waiting.id: ("expired", 0),
        rejected.id: ("rejected", 0),
        applied.id: ("applied", applied.size),
    }
    assert junk.report["error_count"] == 1 and junk.original_removed_at is not None  # the report stays
    with pytest.raises(DomainError, match="超时未确认"):
        workflow.confirm(session, admin, waiting, TODAY)
    assert prune_originals(session, Retention(), now=UPLOADED + timedelta(hours=26)).removed == 0  # idempotent


def test_an_applied_import_keeps_its_file_30_days_and_its_changes_for_good(session, district):
    admin = district["admin"]
    applied = upload(session, admin, good_file(1), UPLOADED)
    workflow.confirm(session, admin, applied, TODAY)
    session.commit()
    assert prune_originals(session, Retention(), now=UPLOADED + timedelta(days=29)).removed == 0
    assert prune_originals(session, Retention(days=30), now=UPLOADED + timedelta(days=31)).removed == 1
    session.commit()
    session.expire_all()
    assert kept(session) == {applied.id: ("applied", 0)}
    assert session.scalar(select(func.count()).select_from(ImportChange)) == 1
    assert session.scalar(select(Company.name).where(Company.name == "留存测试企业1有限公司"))


def test_over_the_total_the_oldest_decided_originals_go_first(session, district):
    admin = district["admin"]
    sizes = {}
    batches = []
    for n in range(4):
        batch = upload(session, admin, good_file(n), UPLOADED + timedelta(minutes=n))
        sizes[batch.id] = batch.size
        batches.append(batch)
    workflow.confirm(session, admin, batches[1], TODAY)
    workflow.confirm(session, admin, batches[2], TODAY)
    session.commit()
    total = sum(sizes.values())
    # One byte over: the oldest decided original goes, although two waiting previews are older.
    pruned = prune_originals(session, Retention(max_bytes=total - 1), now=UPLOADED + timedelta(hours=1))
    session.commit()
    assert (pruned.removed, pruned.expired) == (1, 0)
    session.expire_all()
    assert [b for b, (status, size) in kept(session).items() if size == 0] == [batches[1].id]
    # An upload as large as all of them: the other decided one, then the waiting ones, oldest first.
    pruned = prune_originals(session, Retention(max_bytes=total), now=UPLOADED + timedelta(hours=1), incoming=total)
    session.commit()
    session.expire_all()
    assert (pruned.removed, pruned.expired) == (3, 2)
    assert set(kept(session).values()) == {("applied", 0), ("expired", 0)}


def test_the_daily_job_prunes_once_per_day(app, session, district):
    admin = district["admin"]
    old = upload(session, admin, good_file(1), datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc))
    job = JOBS_BY_NAME["import_originals"]
    with time_machine.travel(UPLOADED, tick=False):
        first = run_job(session, job, TODAY, app.config)
    assert first.outcome == "ok" and first.detail.startswith("删除导入原始文件 1 份")
    assert run_job(session, job, TODAY, app.config).outcome == "done-before"
    session.expire_all()
    assert kept(session) == {old.id: ("expired", 0)}


def test_the_limits_are_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_ORIGINALS_DAYS", 7)
    monkeypatch.setitem(app.config, "IMPORT_ORIGINALS_MB", 50)
    monkeypatch.setitem(app.config, "IMPORT_PREVIEW_HOURS", 2)
    assert Retention.from_config(app.config) == Retention(days=7, max_bytes=50 * MB, preview_hours=2)
    assert Retention() == Retention(days=30, max_bytes=500 * MB, preview_hours=24)
