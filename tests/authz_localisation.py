"""Builder for the authorization matrix: a 属地化 work item of building A."""

from __future__ import annotations

from crm.models import LocalisationItem
from tests import factories as f


def authz_localisation_world(session, world) -> dict:
    company = f.company(session, "属地化对象有限公司", registered=False)
    item = LocalisationItem(company=company, kind="occupying_unregistered", building_id=world["a"].id)
    session.add(item)
    session.flush()
    return {"loc_item": item.id}
