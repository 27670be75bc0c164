"""Changes of a company's district flags (属地注册 / 属地纳税) between two days.

A stand-in read from the change history (``ChangeLog``) until the dated flags with their own
history exist: swap ``flag_changes`` for theirs — the rules read nothing else of the history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from crm.models import ChangeLog
from crm.services.periods import BUSINESS_TZ

FLAGS = {"registered_in_district": "属地注册", "taxed_in_district": "属地纳税"}


@dataclass(frozen=True)
class FlagChange:
    company_id: int
    field: str  # registered_in_district | taxed_in_district
    day: date  # the business day of the change
    old: bool | None
    new: bool | None


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    first = datetime.combine(start, time.min, BUSINESS_TZ)
    after = datetime.combine(end + timedelta(days=1), time.min, BUSINESS_TZ)
    # In UTC, as written: SQLite compares the stored text, which carries no zone.
    return first.astimezone(timezone.utc), after.astimezone(timezone.utc)


def flag_changes(session, start: date, end: date) -> list[FlagChange]:
    """Every change of a district flag of a company made on a business day start..end, oldest
    first."""
    first, after = _utc_bounds(start, end)
    rows = session.execute(
        select(ChangeLog.object_id, ChangeLog.occurred_at, ChangeLog.changes)
        .where(ChangeLog.object_type == "company", ChangeLog.action == "update",
               ChangeLog.occurred_at >= first, ChangeLog.occurred_at < after)
        .order_by(ChangeLog.occurred_at, ChangeLog.id)
    )
    found = []
    for company_id, at, changes in rows:
        # SQLite hands timestamps back without a zone; they were written in UTC.
        day = (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(BUSINESS_TZ).date()
        for field in FLAGS:
            if field in (changes or {}):
                old, new = changes[field]
                found.append(FlagChange(company_id, field, day, old, new))
    return found
