"""Import batches: who imported which file when, what it would change (the preview) and what it
did change (one row per record written).

The original file is kept in the database, not on a host's disk: several app hosts share one
database, and confirming plans the very rows the preview was made from (kept, read from the file,
with the batch). Originals are kept
for a while only (``crm.io.retention``): then the content goes, and the batch with its report and
changed rows stays, saying when its original was removed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

STATUSES = {
    "previewed": "待确认",
    "invalid": "有错误，未导入",
    "applied": "已导入",
    "rejected": "已拒绝",
    "expired": "超时未确认",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ImportBatch(db.Model):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: command line
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # empty once removed
    # The rows the preview read from the content (``crm.io.parsed``), so the confirm need not read
    # the file again; None for a file that could not be kept so, and once the content is removed.
    parsed_rows: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    original_removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    unmatched_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    plan_digest: Mapped[str] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text, default="{}", deferred=True)
    # Given at upload: rows reaching a confirmed month are then applied as a correction with it.
    correction_reason: Mapped[str | None] = mapped_column(Text)

    user = relationship("User")
    changes = relationship(
        "ImportChange",
        back_populates="batch",
        order_by="ImportChange.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="dynamic",
    )

    @property
    def report(self) -> dict:
        return json.loads(self.report_json or "{}")

    @report.setter
    def report(self, value: dict) -> None:
        self.report_json = json.dumps(value, ensure_ascii=False, default=str)

    @property
    def has_original(self) -> bool:
        return self.original_removed_at is None

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.kind} {self.status} {self.filename}>"


class ImportChange(db.Model):
    """One record an applied import created or updated, with the fields it changed."""

    __tablename__ = "import_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))  # create | update
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[str] = mapped_column(String(120))
    changes_json: Mapped[str | None] = mapped_column(Text)

    batch = relationship("ImportBatch", back_populates="changes")

    @property
    def changes(self) -> dict:
        return json.loads(self.changes_json) if self.changes_json else {}
