"""Corrections (更正): a change that reaches into a month a manager has already confirmed.

One ``Correction`` per building and month: who made it, when, why, through which operation (a
form, an import, the API …), the snapshot's version before and after, the month's figures before
and after, and — as ``CorrectionItem`` rows — exactly the change-history entries it consists of
(with the spreadsheet row each came from, for an import). A correction lists only its own
changes: nothing written outside it can reach a confirmed month (``crm.services.corrections``
refuses that), so a later correction never carries an earlier change under its reason.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

OPERATIONS = {
    "move_in": "登记入驻",
    "move_out": "登记迁出",
    "renew": "续租",
    "movein_request": "确认入驻申请",
    "add_unit": "新增单元",
    "split": "拆分单元",
    "merge": "合并单元",
    "retire": "停用单元",
    "edit_unit": "修改单元面积",
    "self_use": "自用登记",
    "import": "导入",
    "localise": "属地化完成",
    "recompute": "按现有数据重新核算",
    "edit": "修改",
    "legacy": "更正",
}
# The frozen month figures a correction may move, in the order a reader expects them.
FIGURES = {
    "leasable_area": "可租面积",
    "occupied_area": "已出租面积",
    "vacant_area": "空置面积",
    "tenants": "入驻企业数",
    "registered_tenants": "属地注册企业数",
    "registered_area": "属地注册面积",
}


class Correction(db.Model):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("occupancy_snapshots.id"), index=True)
    operation: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    version_before: Mapped[int | None] = mapped_column(Integer)  # None: recorded before versions were kept
    version_after: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)  # {figure: [before, after]}

    building = relationship("Building")
    actor = relationship("User")
    import_batch = relationship("ImportBatch")
    items = relationship(
        "CorrectionItem",
        back_populates="correction",
        order_by="CorrectionItem.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (Index("ix_corrections_building_period", "building_id", "period"),)

    @property
    def operation_label(self) -> str:
        return OPERATIONS.get(self.operation, self.operation)

    @property
    def created_utc(self) -> datetime:
        # SQLite hands timestamps back without a zone; they were written in UTC.
        at = self.created_at
        return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)

    def figure_changes(self) -> list[tuple[str, object, object, bool]]:
        """(label, before, after, is an area) of the figures this correction moved."""
        return [
            (label, *self.figures[key], key.endswith("_area"))
            for key, label in FIGURES.items()
            if key in (self.figures or {}) and self.figures[key][0] != self.figures[key][1]
        ]


class CorrectionItem(db.Model):
    """One change a correction consists of: a change-history entry, and the import row it came from."""

    __tablename__ = "correction_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("corrections.id", ondelete="CASCADE"), index=True)
    change_log_id: Mapped[int | None] = mapped_column(ForeignKey("change_log.id"), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)  # the spreadsheet row, for an import

    correction = relationship("Correction", back_populates="items")
    change = relationship("ChangeLog")
