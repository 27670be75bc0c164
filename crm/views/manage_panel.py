"""What the building page shows the people who keep the building: today's figures and a month
awaiting their confirmation. Not a blueprint: the building page's view passes it to the template,
and the management pages ask ``manageable`` too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_login import current_user

from crm.extensions import db
from crm.models import Building
from crm.permissions import may
from crm.services.confirmation import due_period
from crm.services.occupancy import Occupancy, occupancy_on
from crm.services.snapshots import confirmed_snapshots
from crm.web.params import today


def manageable(building: Building) -> bool:
    return may(current_user, "buildings.manage", building)


@dataclass
class ManagePanel:
    """What the building page adds for the people who keep the building."""

    can_manage: bool
    today: date
    now: Occupancy | None = None  # today's figures, for managers
    due: str | None = None  # last month, when this building has not confirmed it yet


def manage_panel(building: Building) -> ManagePanel:
    """For managers: today's figures and a month that awaits their confirmation."""
    day = today()
    panel = ManagePanel(manageable(building), day)
    if panel.can_manage:
        panel.now = occupancy_on(db.session, day, [building.id]).get(building.id, Occupancy())
        due = due_period(day)
        if not confirmed_snapshots(db.session, [due], [building.id]) and may(
            current_user, "confirmations.confirm", building
        ):
            panel.due = due
    return panel
