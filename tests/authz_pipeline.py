"""Builder for the authorization matrix: the promoter's registered lead and a pending
move-in request of it into building A's vacant unit."""

from __future__ import annotations

from datetime import date

from crm.models import MoveInRequest
from tests import factories as f


def authz_pipeline_world(session, world) -> dict:
    promoter = world["users"]["promoter"]
    lead = f.lead(session, promoter, "矩阵测试项目有限公司", stage="registered", intended_area=100)
    company = f.company(session, "矩阵测试项目有限公司")
    request = MoveInRequest(
        lead=lead,
        company=company,
        building=world["a"],
        unit_ids=str(world["unit_obj"].id),
        start_date=date(2026, 11, 20),
        requested_by_id=promoter.id,
    )
    session.add(request)
    session.flush()
    return {"lead": lead.id, "movein": request.id}
