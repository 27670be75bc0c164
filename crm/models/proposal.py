"""Space proposals (载体推荐书): the PDF a promoter sent a lead's company, kept as it was sent.

Like an archived briefing, the PDF lives in the database (any app host can serve it again) and
the candidates it proposed are kept beside it as JSON, so the lead's timeline says which units,
when and by whom even after the units changed. The PDF column is deferred: the timeline never
loads it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db

MAX_CANDIDATES = 5


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SpaceProposal(db.Model):
    __tablename__ = "space_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # UTC
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # [{"building": code, "name": …, "floor": n, "units": ["3F-01", …], "area": "250.00"}, …]
    candidates: Mapped[list] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    lead = relationship("Lead")
    created_by = relationship("User")

    @property
    def created_utc(self) -> datetime:
        # SQLite hands timestamps back without a zone; they were written in UTC.
        at = self.created_at
        return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)

    @property
    def filename(self) -> str:
        return f"载体推荐书-{self.lead.company_name}-{self.id}.pdf"

    def __repr__(self) -> str:
        return f"<SpaceProposal lead={self.lead_id} #{self.id}>"
