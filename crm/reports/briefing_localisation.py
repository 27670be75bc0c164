"""The briefing's 属地化 section: 属地注册率 by count and by area with its 12-month trend, the open
入驻不注册 targets and their tax at stake (估算), completions this year, and the ten targets with
the most tax at stake. A section builder: it takes the briefing's data (``data["localisation"]``,
from ``crm.services.localisation.briefing_part``) and returns flowables, like the briefing's own
sections; nothing here queries the database."""
from __future__ import annotations

from crm.formats import money
from crm.models.choices import HQ_TYPES
from crm.reports.markup import text
from crm.reports.styles import Styles
from crm.reports.tables import Column, percent

TITLE = "属地化（入驻不注册）"


def localisation_section(data: dict, styles: Styles, width: float) -> list:
    """Flowables of the 属地化 section; none when the data has no ``localisation`` part."""
    # The briefing module lists this builder among its sections: import its pieces when called.
    from crm.reports.briefing import P, heading, none_line, plain_table, sub_heading, table

    part = data.get("localisation")
    if not part:
        return []
    rate, area_rate = percent(part["registered_rate"]), percent(part["registered_area_rate"])
    story = [
        heading(TITLE, styles),
        P(text(f"{data.get('month_label', '')}末，属地注册率按企业数 {rate}（{part['registered_tenants']:,} / "
               f"{part['tenants']:,} 家），按面积 {area_rate}。入驻不注册的企业 {part['open_targets']:,} 家待办，"
               f"税收影响约 {money(part['tax_at_stake'])}（估算：占用面积 × 所在楼宇近12个月每平方米税收）；"
               f"注册不入驻 {part['registered_not_occupying']:,} 家待核实；本年已完成属地注册 "
               f"{part['completed_this_year']:,} 家。"), styles.body),
        sub_heading("属地注册率（近 12 个月）", styles),
    ]
    trend = part["trend"]
    header = ["", *(f"{t['month'][2:4]}/{t['month'][5:]}" for t in trend)]
    first = width * 0.12
    rest = (width - first) / max(len(trend), 1)
    story.append(plain_table(
        header,
        [["按企业数", *(percent(t["registered_rate"]) for t in trend)],
         ["按面积", *(percent(t["registered_area_rate"]) for t in trend)]],
        [first, *([rest] * len(trend))], styles,
    ))
    story.append(sub_heading("税收影响最大的十家入驻不注册企业（估算）", styles))
    if part["top_targets"]:
        columns = [
            Column("企业", "company", width * 0.28), Column("楼宇", "building_name", width * 0.18),
            Column("街道", "street", width * 0.08), Column("面积 m²", "area", width * 0.10, "area"),
            Column("产业", "industry_group", width * 0.11), Column("总部类型", "hq", width * 0.09),
            Column("税收影响 万元", "tax_at_stake", width * 0.09, "wan"), Column("状态", "state_label", width * 0.07),
        ]
        rows = [dict(t, hq=HQ_TYPES.get(t["hq_type"], "—") if t["hq_type"] != "none" else "—",
                     industry_group=t["industry_group"] or "—", building_name=t["building_name"] or "—",
                     street=t["street"] or "—") for t in part["top_targets"]]
        story.append(table(columns, rows, styles))
    else:
        story.append(none_line("没有入驻不注册的企业。", styles))
    return story
