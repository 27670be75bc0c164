"""Builder for the authorization matrix: one archived briefing to download."""

from __future__ import annotations

from crm.models import Briefing


def authz_briefings_world(session, world) -> dict:
    briefing = Briefing(
        period="2026-10",
        version=1,
        generated_by_id=world["users"]["admin"].id,
        source="web",
        size=9,
        pages=1,
        pdf=b"%PDF-1.4\n",
        data={},
    )
    session.add(briefing)
    session.flush()
    return {"briefing": briefing.id}
