"""How long uploaded import files are kept, and removing them when their time is up.

An import keeps its original so the confirm re-reads the very bytes the preview was made from,
and so the admin can look at what was imported. That must not grow without bound: an original
is removed once
- a preview nobody confirmed, a refused file (errors) or a rejected one is older than a day
  (``IMPORT_PREVIEW_HOURS``) — an unconfirmed preview then expires (超时未确认);
- any original is older than ``IMPORT_ORIGINALS_DAYS`` (30);
- the originals kept add up to more than ``IMPORT_ORIGINALS_MB`` (500): the oldest go first,
  decided imports before previews still waiting.
Only the content goes: the batch, its report and the rows it changed stay, and say when the
original was removed. Pruning runs daily in the scheduler and before every upload is stored, and
doing it twice removes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, select, update

from crm.models import ImportBatch

WAITING = "previewed"
UNDECIDED_OR_REFUSED = ("previewed", "invalid", "rejected")
MB = 1024 * 1024


@dataclass(frozen=True)
class Retention:
    days: int = 30
    max_bytes: int = 500 * MB
    preview_hours: int = 24

    @classmethod
    def from_config(cls, config) -> Retention:
        return cls(
            days=int(config.get("IMPORT_ORIGINALS_DAYS") or 30),
            max_bytes=int(float(config.get("IMPORT_ORIGINALS_MB") or 500) * MB),
            preview_hours=int(config.get("IMPORT_PREVIEW_HOURS") or 24),
        )


@dataclass
class Pruned:
    removed: int = 0
    freed_bytes: int = 0
    expired: int = 0  # previews that can no longer be confirmed

    def summary(self) -> str:
        if not self.removed:
            return "没有需要删除的导入原始文件"
        text = f"删除导入原始文件 {self.removed} 份，释放 {self.freed_bytes / MB:.1f} MB"
        return text + (f"，其中 {self.expired} 份预览超时未确认" if self.expired else "")


def prune_originals(session, retention: Retention, now: datetime | None = None, incoming: int = 0) -> Pruned:
    """Remove the originals that are past their time or over the total (leaving room for an
    upload of ``incoming`` bytes about to be stored); flushes, the caller commits."""
    now = now or datetime.now(timezone.utc)
    kept = session.execute(
        select(ImportBatch.id, ImportBatch.status, ImportBatch.size, ImportBatch.created_at)
        .where(ImportBatch.original_removed_at.is_(None))
        .order_by(ImportBatch.created_at, ImportBatch.id)
    ).all()
    preview_limit = now - timedelta(hours=retention.preview_hours)
    age_limit = now - timedelta(days=retention.days)
    doomed = {
        row.id
        for row in kept
        if _utc(row.created_at) < age_limit
        or (row.status in UNDECIDED_OR_REFUSED and _utc(row.created_at) < preview_limit)
    }
    total = sum(row.size for row in kept if row.id not in doomed) + incoming
    # Over the total: the oldest decided imports first, then the oldest previews still waiting.
    for row in sorted(kept, key=lambda r: (r.status == WAITING, _utc(r.created_at), r.id)):
        if total <= retention.max_bytes:
            break
        if row.id not in doomed:
            doomed.add(row.id)
            total -= row.size
    return _remove(session, [row for row in kept if row.id in doomed], now)


def _remove(session, rows, now: datetime) -> Pruned:
    pruned = Pruned(len(rows), sum(row.size for row in rows), sum(1 for row in rows if row.status == WAITING))
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 1000):
        session.execute(
            update(ImportBatch)
            .where(ImportBatch.id.in_(ids[start : start + 1000]), ImportBatch.original_removed_at.is_(None))
            .values(
                content=b"",
                parsed_rows=None,
                original_removed_at=now,
                status=case((ImportBatch.status == WAITING, "expired"), else_=ImportBatch.status),
                decided_at=case((ImportBatch.status == WAITING, now), else_=ImportBatch.decided_at),
            )
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
    return pruned


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
