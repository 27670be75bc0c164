"""The briefing's 预警处置 section: new warnings of the month by rule, handled in the month
(已解除 / 自动解除), still open at the month's end, and the five open ones with the most tax at
stake — a ``BriefingSection`` (``crm.services.briefing.EXTRA_SECTIONS``) from the figures of
``crm.warnings.queries.briefing_warnings_data``, district-wide.
"""

from __future__ import annotations

from datetime import date

from crm.formats import money
from crm.services.briefing_sections import BriefingSection, SectionColumn, SectionTable
from crm.warnings.queries import briefing_warnings_data

TITLE = "预警处置"
TOP_CAPTION = "涉及税收最多的未解除预警（前 5 条）"


def briefing_section(session, month: str, today: date | None = None) -> BriefingSection | None:
    """None for a month in which no warning was new, handled or open: nothing to report."""
    figures = briefing_warnings_data(session, month)
    if not (figures["new"] or figures["resolved"] or figures["auto_resolved"] or figures["still_open"]):
        return None
    return BriefingSection(
        key="warnings",
        title=TITLE,
        paragraphs=[summary_line(figures)],
        tables=[top_table(figures["top"])],
        summary=summary_sentence(figures),
    )


def summary_line(w: dict) -> str:
    """The section's paragraph: every figure of the month, the new ones by rule."""
    parts = [f"{r['label']} {r['count']} 条" for r in w["new_by_rule"] if r["count"]]
    new = f"本月新增预警 {w['new']} 条" + (f"（{'，'.join(parts)}）" if parts else "")
    return (
        f"{new}；本月已解除 {w['resolved']} 条、自动解除 {w['auto_resolved']} 条；月末仍未解除 {w['still_open']} 条。"
    )


def top_table(top: list[dict]) -> SectionTable:
    columns = [
        SectionColumn("预警", weight=0.40),
        SectionColumn("类型", weight=0.14),
        SectionColumn("楼宇", weight=0.14),
        SectionColumn("责任人", weight=0.09),
        SectionColumn("状态", weight=0.09),
        SectionColumn("涉及税收 万元", "wan", 0.14),
    ]
    rows = [
        [
            r["title"],
            r["rule_label"],
            r["building"] or "—",
            r["owner"] or "—",
            r["state_label"],
            r["tax_at_stake"] or None,
        ]
        for r in top
    ]
    return SectionTable(TOP_CAPTION, columns, rows, empty="月末没有未解除的预警。")


def summary_sentence(w: dict) -> str:
    """One sentence for page 1's 本月综述: new, handled, still open, and the open warning with the
    most tax at stake when it has any."""
    handled = w["resolved"] + w["auto_resolved"]
    text = f"本月新增预警{w['new']}条，解除{handled}条"
    if w["auto_resolved"]:
        text += f"（其中自动解除{w['auto_resolved']}条）"
    if not w["still_open"]:
        return text + "，月末没有未解除的预警。"
    text += f"，月末仍有{w['still_open']}条未解除"
    first = w["top"][0] if w["top"] else None
    if first and first["tax_at_stake"]:
        text += f"，涉及税收最多的是“{first['title']}”（{money(first['tax_at_stake'])}）"
    return text + "。"
