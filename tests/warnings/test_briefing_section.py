"""The briefing's 预警处置 section: the month's figures from the warnings table (new by rule,
handled, still open at the month's end, the top five by tax at stake), as the section's data and
its sentence for 本月综述. The printed section is checked in tests/reports/test_briefing_extra_sections.py."""

from __future__ import annotations

from crm.models import EarlyWarning
from crm.warnings.briefing import briefing_section
from crm.warnings.queries import briefing_warnings_data
from tests import factories as f


def add(session, building, n, rule, created_on, state="pending", resolved_on=None, tax=0):
    session.add(
        EarlyWarning(
            rule=rule,
            object_type="building",
            object_id=n,
            period="2026-10",
            building_id=building.id,
            title=f"预警{n}<号>",
            severity="medium",
            figures={},
            tax_at_stake=tax,
            state=state,
            created_on=created_on,
            resolved_on=resolved_on,
        )
    )


def october(session):
    """Two new in October (both 大户税收下滑), one resolved and one auto-resolved in it, three open
    at its end; one found in November and one closed in November do not count as October's."""
    b = f.building(session, "BW1", "预警大厦")
    add(session, b, 1, "tax_drop", "2026-10-03", tax=5_000_000)
    add(session, b, 2, "tax_drop", "2026-10-20", "resolved", "2026-10-25", tax=9_000_000)
    add(session, b, 3, "outflow", "2026-09-28", "auto_resolved", "2026-10-02")
    add(session, b, 4, "unconfirmed", "2026-09-15", "handling")
    add(session, b, 5, "lease_expiry", "2026-11-02", tax=99_000_000)  # found after October: not in it
    add(session, b, 6, "occupancy_drop", "2026-09-01", "resolved", "2026-11-03", tax=2_000_000)  # open at the end
    session.flush()
    return b


def test_the_months_figures_make_the_section_and_its_sentence(session):
    october(session)
    data = briefing_warnings_data(session, "2026-10")
    assert (data["new"], data["resolved"], data["auto_resolved"], data["still_open"]) == (2, 1, 1, 3)
    assert [r["title"] for r in data["top"]] == ["预警1<号>", "预警6<号>", "预警4<号>"]

    section = briefing_section(session, "2026-10").as_json()
    assert section["title"] == "预警处置"
    assert section["paragraphs"] == [
        "本月新增预警 2 条（大户税收下滑 2 条）；本月已解除 1 条、自动解除 1 条；月末仍未解除 3 条。"
    ]
    (top,) = section["tables"]
    assert top["rows"][0] == ["预警1<号>", "大户税收下滑", "预警大厦", "—", "待处置", 5_000_000.0]
    assert top["rows"][2][-1] is None  # no tax at stake: printed as —
    assert section["summary"] == (
        "本月新增预警2条，解除2条（其中自动解除1条），月末仍有3条未解除，涉及税收最多的是“预警1<号>”（500.0 万元）。"
    )


def test_a_month_without_any_warning_has_no_section(session):
    october(session)
    assert briefing_section(session, "2026-08") is None  # everything was found later
    # November: 5 new, 6 resolved, 1, 4 and 5 open at its end — 5 with the most tax at stake.
    section = briefing_section(session, "2026-11").as_json()
    assert section["paragraphs"][0].startswith(
        "本月新增预警 1 条（大户租约临期未续 1 条）；本月已解除 1 条、自动解除 0 条"
    )
    assert section["summary"].startswith(
        "本月新增预警1条，解除1条，月末仍有3条未解除，涉及税收最多的是“预警5<号>”（9,900.0 万元）"
    )
