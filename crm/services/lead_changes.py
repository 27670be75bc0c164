"""A lead's stage-change log (``LeadStageChange``): one row per move, creation or merge, written
by the pipeline (``services.leads``) and by merging duplicates (``services.duplicates``)."""

from __future__ import annotations

from datetime import datetime, timezone

from crm.models import Lead, LeadStageChange, User


def record_change(session, lead: Lead, actor: User | None, from_stage, to_stage, note=None) -> LeadStageChange:
    change = LeadStageChange(
        lead=lead,
        user_id=actor.id if actor else None,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
        changed_at=datetime.now(timezone.utc),
    )
    session.add(change)
    return change
