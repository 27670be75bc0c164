"""The briefing's warnings section: the month's figures from the warnings table, printed in the
PDF — new by rule, handled, still open at the month's end, the top five by tax at stake."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from pypdf import PdfReader

from crm.models import EarlyWarning
from crm.reports.briefing_warnings import warnings_section
from crm.reports.document import build_pdf
from crm.reports.styles import report_styles
from crm.reports.document import usable_width
from crm.warnings.queries import briefing_warnings_data
from tests import factories as f


def add(session, building, n, rule, created_on, state="pending", resolved_on=None, tax=0):
    session.add(EarlyWarning(rule=rule, object_type="building", object_id=n, period="2026-10", building_id=building.id,
                             title=f"预警{n}<号>", severity="medium", figures={}, tax_at_stake=tax, state=state,
                             created_on=created_on, resolved_on=resolved_on))


def test_the_section_prints_the_months_warnings(session):
    b = f.building(session, "BW1", "预警大厦")
    add(session, b, 1, "tax_drop", "2026-10-03", tax=5_000_000)
    add(session, b, 2, "tax_drop", "2026-10-20", "resolved", "2026-10-25", tax=9_000_000)
    add(session, b, 3, "outflow", "2026-09-28", "auto_resolved", "2026-10-02")
    add(session, b, 4, "unconfirmed", "2026-09-15", "handling")
    add(session, b, 5, "lease_expiry", "2026-11-02", tax=99_000_000)  # found after October: not in it
    add(session, b, 6, "occupancy_drop", "2026-09-01", "resolved", "2026-11-03", tax=2_000_000)  # open at the end
    session.flush()

    data = briefing_warnings_data(session, "2026-10")
    assert (data["new"], data["resolved"], data["auto_resolved"], data["still_open"]) == (2, 1, 1, 3)
    assert [r["title"] for r in data["top"]] == ["预警1<号>", "预警6<号>", "预警4<号>"]

    styles = report_styles()
    pdf = build_pdf(warnings_section({"warnings": data}, styles, usable_width()), title="t", font=styles.font,
                    generated_at=datetime(2026, 11, 6, tzinfo=timezone.utc))
    flat = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "预警处置" in flat
    assert "本月新增预警2条（大户税收下滑2条）；本月已解除1条、自动解除1条；月末仍未解除3条。" in flat
    assert "预警1<号>" in flat and "500.0万元" in flat
    assert warnings_section({}, styles, 100) == []
