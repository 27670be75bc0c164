"""Generating a monthly briefing: its figures (``crm.services.briefing.briefing_data``), its PDF
(``crm.reports.briefing``), archived as a new version (``crm.services.briefing.archive``).

The web page, the command line and the monthly job call this; services do not, as the PDF
builders are for the edges of the app.
"""

from __future__ import annotations

from datetime import date, datetime

from crm.models import Briefing, User
from crm.reports.briefing import build_briefing_pdf
from crm.services import periods
from crm.services.briefing import archive, briefing_data


def generate_briefing(
    session,
    month: str,
    generated_by: User | None = None,
    today: date | None = None,
    now: datetime | None = None,
    source: str | None = None,
) -> Briefing:
    """Build the briefing of ``month`` as a PDF, archive it as a new version and return the
    archived record (its ``pdf`` holds the bytes). Without ``generated_by`` it is the monthly
    schedule's (``source`` "schedule"), with one a person's on the web ("web"); "cli" for the
    command line.

    Raises DomainError for a month not yet ended or before any data, and
    ``crm.reports.fonts.FontNotFound`` when no CJK font can be embedded.
    """
    source = source or ("web" if generated_by is not None else "schedule")
    now = now or datetime.now(periods.BUSINESS_TZ)
    data = briefing_data(session, month, today=today, now=now, generated_by=generated_by, source=source)
    pdf, pages = build_briefing_pdf(data)
    return archive(session, data["month"], pdf, pages, data, generated_by, now, source)
