"""Builder for the authorization matrix: a pending warning of building A, owned by its manager."""

from __future__ import annotations

from crm.models import EarlyWarning


def authz_warnings_world(session, world) -> dict:
    warning = EarlyWarning(
        rule="occupancy_drop",
        object_type="building",
        object_id=world["a"].id,
        period="2026-10",
        building_id=world["a"].id,
        title="入驻率下滑",
        severity="medium",
        figures={},
        tax_at_stake=0,
        owner_id=world["users"]["manager"].id,
        state="pending",
        created_on="2026-11-10",
    )
    session.add(warning)
    session.flush()
    return {"warning": warning.id}
