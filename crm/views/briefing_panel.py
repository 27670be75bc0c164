"""The archive of monthly briefings as a panel: the briefings page shows all of it, the reports
page its newest rows (``reports_section``). Not a blueprint: both pages' views call it."""

from __future__ import annotations

from flask_login import current_user

from crm.extensions import db
from crm.forms.briefings import GenerateBriefingForm
from crm.access import may
from crm.services import periods as P
from crm.services.briefing import archived_briefings, archived_count, generated_by_label, latest_versions
from crm.web.params import today

SECTION_ROWS = 6


def new_form() -> GenerateBriefingForm:
    form = GenerateBriefingForm()
    if not form.is_submitted():
        form.month.data = P.last_complete_month(today())
    return form


def local_time(moment) -> str:
    return moment.astimezone(P.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def panel(limit: int | None) -> dict:
    briefings = archived_briefings(db.session, limit)
    return {
        "briefings": briefings,
        "local_time": local_time,
        "by_whom": generated_by_label,
        "latest_ids": latest_versions(briefings),
        "total": archived_count(db.session) if limit is not None else len(briefings),
        "form": new_form() if may(current_user, "briefings.generate") else None,
    }


def reports_section() -> dict | None:
    """The newest briefings for the reports page, for those who may read them."""
    if not may(current_user, "briefings.view"):
        return None
    return panel(SECTION_ROWS)
