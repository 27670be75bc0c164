"""The briefing's warnings section (预警处置): new this month by rule, handled, still open at the
month's end, and the five open warnings with the most tax at stake.

A section builder like those of ``crm.reports.briefing``: ``warnings_section(data, styles,
width)`` returns flowables from the plain dict the briefing data holds under ``"warnings"`` (as
``crm.warnings.queries.briefing_warnings_data`` returns it), and nothing when that key is absent.
"""
from __future__ import annotations

from crm.formats import money
from crm.reports.markup import text
from crm.reports.styles import Styles
from crm.reports.tables import Column

DATA_KEY = "warnings"


def summary_line(w: dict) -> str:
    parts = [f"{r['label']} {r['count']} 条" for r in w["new_by_rule"] if r["count"]]
    new = f"本月新增预警 {w['new']} 条" + (f"（{'，'.join(parts)}）" if parts else "")
    return (f"{new}；本月已解除 {w['resolved']} 条、自动解除 {w['auto_resolved']} 条；"
            f"月末仍未解除 {w['still_open']} 条。")


def warnings_section(data: dict, styles: Styles, width: float) -> list:
    from crm.reports import briefing as B  # the shared look; imported here, as briefing.py lists this builder

    w = data.get(DATA_KEY)
    if not w:
        return []
    story = [B.heading("预警处置", styles), B.P(text(summary_line(w)), styles.body),
             B.sub_heading("涉及税收最多的未解除预警（前 5 条）", styles)]
    if not w["top"]:
        story.append(B.none_line("月末没有未解除的预警。", styles))
        return story
    columns = [
        Column("预警", "title", width * 0.40), Column("类型", "rule_label", width * 0.14),
        Column("楼宇", "building", width * 0.14), Column("责任人", "owner", width * 0.09),
        Column("状态", "state_label", width * 0.09), Column("涉及税收", "tax", width * 0.14),
    ]
    rows = [dict(r, building=r["building"] or "—", owner=r["owner"] or "—",
                 tax=money(r["tax_at_stake"]) if r["tax_at_stake"] else "—") for r in w["top"]]
    story.append(B.table(columns, rows, styles))
    return story
