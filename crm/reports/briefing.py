"""The monthly briefing to leadership as a PDF (A4 portrait, Chinese): 西岗区商务楼宇经济月度简报.

Takes the plain dict of ``crm.services.briefing.briefing_data`` — the very data the JSON export
holds — so the PDF cannot print a figure the JSON does not. Every paragraph and text cell is a
``KinsokuParagraph`` (no line begins with "，" or another closing mark), every user-supplied
string is escaped, tables repeat their header and never split a row. Amounts are in 万元 with
one decimal (亿元 with two from ¥100 m, ``crm.formats``), areas in m² with thousands separators,
percentages with one decimal, all rounded half-up; a rise is red ↑ and a fall green ↓, always
with the comparison named.

Page 1: title, issue number (期号), the 本月综述 (``crm.services.briefing_summary`` words it from
the figures; the data carries it as ``summary``), how many buildings are not yet confirmed (the
list is in the appendix), then the headline figures. Charts are kept whole on one page; the bars
of buildings under the occupancy target are orange, with a legend.

Sections: 一 to 六 are fixed; then every section another domain contributes (``sections`` in the
data, from ``crm.services.briefing.EXTRA_SECTIONS`` — one line there adds one; see that module),
printed alike by ``extra_section`` and numbered on (七、八、…); then the appendix.
"""

from __future__ import annotations

from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table, TableStyle

from crm.models.choices import TIERS
from crm.formats import chart_amounts, half_up, money, one_decimal
from crm.reports.document import build_pdf_counted, usable_height, usable_width
from crm.reports.kinsoku import KinsokuParagraph
from crm.reports.markup import text
from crm.reports.styles import ACCENT, GRID, HEADER_BG, INK, Styles, report_styles
from crm.formats import area_exact, signed_area, signed_count
from crm.reports.charts import FunnelStep, Series, Shortfall, bars_fitting, funnel_chart, horizontal_bars, line_chart
from crm.reports.tables import Column, area, data_table, percent
from crm.services.briefing_summary import confirmation_sentence, issue_label, summary_sentences
from crm.services.periods import label as month_label

MUTED_HEX = "#6c757d"
INK_HEX = "#212529"
SUMMARY_BG = "#f3f6fa"
SHORTFALL = "#e65100"  # orange: a building below the occupancy target
CHART_TITLE_HEIGHT = 40  # a chart's sub-heading and the frame's padding, kept on its page
RISE = "#b71c1c"  # red: a rise (the Chinese convention)
FALL = "#2e7d32"  # green: a fall
LINE_STAGES = ("lead", "contact", "visit", "negotiation", "signed", "registered", "settled")
DIRECTIONS = {"up": "升档", "pending": "尚未达到上年档次"}


# --------------------------------------------------------------------------------------------
# Formatting


def markup_para(markup: str, style) -> KinsokuParagraph:
    """A paragraph of markup already escaped (user text through ``markup.text``), wrapped without
    a closing mark at a line's start."""
    return KinsokuParagraph(markup, style)


def tier_label(tier) -> str:
    return TIERS.get(tier or "", "—")


def arrow(number: float | None, formatted: str, comparison: str = "") -> str:
    """Markup of a change: red ↑ for a rise, green ↓ for a fall, with the comparison named;
    ``formatted`` is the size of the change as printed (without sign)."""
    prefix = f"{comparison} " if comparison else ""
    if number is None:
        return f"{prefix}—"
    if number == 0 or formatted.lstrip("0.,") in ("", "%", " m²", " 个百分点"):
        return f"{prefix}持平"
    if number > 0:
        return f"<font color='{RISE}'>{prefix}↑{formatted}</font>"
    return f"<font color='{FALL}'>{prefix}↓{formatted}</font>"


def value_text(kind: str, value) -> str:
    if value is None:
        return "—"
    if kind == "area":
        return f"{area(value)} m²"
    if kind == "rate":
        return percent(value)
    if kind == "money":
        return money(value)
    return f"{value:,}"


def change_text(kind: str, change, comparison: str = "") -> str:
    """A change as markup; ``change`` as the data holds it (difference, points or fraction)."""
    if change is None:
        return arrow(None, "", comparison)
    size = abs(change)
    if kind == "area":
        formatted = f"{area(size)} m²"
    elif kind == "rate":
        formatted = f"{one_decimal(size)} 个百分点"
    elif kind == "money":
        formatted = percent(size)
    else:
        formatted = f"{size:,}"
    return arrow(change, formatted, comparison)


def yoy_text(value) -> str:
    return "—" if value is None else arrow(value, percent(abs(value)), "")


# --------------------------------------------------------------------------------------------
# Building blocks


def cell_styles(styles: Styles) -> tuple[ParagraphStyle, ParagraphStyle]:
    right = ParagraphStyle("cell_right", parent=styles.cell, alignment=TA_RIGHT)
    return styles.cell, right


def plain_table(
    header: list[str], rows: list[list], widths: list[float], styles: Styles, numeric_from: int = 1
) -> Table:
    """A table of markup cells (already escaped): header repeated, rows never split."""
    left, right = cell_styles(styles)
    head = [markup_para(text(h), styles.cell_header) for h in header]
    body = [
        [markup_para(str(value), right if index >= numeric_from else left) for index, value in enumerate(row)]
        for row in rows
    ]
    table = Table([head, *body], colWidths=widths, repeatRows=1, splitInRow=0)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, GRID),
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for row_index in range(2, len(body) + 1, 2):
        commands.append(("BACKGROUND", (0, row_index), (-1, row_index), "#f8f9fa"))
    table.setStyle(TableStyle(commands))
    return table


def table(columns: list[Column], rows: list[dict], styles: Styles) -> Table:
    return data_table(columns, rows, styles, paragraph=KinsokuParagraph)


def heading(label: str, styles: Styles) -> KinsokuParagraph:
    return markup_para(text(label), ParagraphStyle("briefing_heading", parent=styles.heading, keepWithNext=1))


def sub_heading(label: str, styles: Styles) -> KinsokuParagraph:
    # Kept with what follows, so a table's title never ends a page alone.
    style = ParagraphStyle("briefing_sub_heading", parent=styles.body, spaceBefore=6, keepWithNext=1, textColor=INK)
    return markup_para(f"<b>{text(label)}</b>", style)


def none_line(message: str, styles: Styles) -> KinsokuParagraph:
    return markup_para(text(message), styles.note)


def name_code(row: dict, name_key: str = "name", code_key: str = "code") -> str:
    return f"{text(row[name_key])} <font size=6.5 color='{MUTED_HEX}'>{text(row[code_key])}</font>"


# --------------------------------------------------------------------------------------------
# Section 1: the title block


def title_block(data: dict, styles: Styles, width: float) -> list:
    """Title, issue number, the 本月综述 worded from the figures, and how many buildings' figures
    are not yet confirmed (their list is in the appendix)."""
    generated = datetime.fromisoformat(data["generated_at"])
    parts = [
        data["district"],
        data["month_label"],
        f"生成于 {generated:%Y-%m-%d %H:%M}",
        f"生成：{data['generated_by']}",
        "内部资料",
    ]
    if data["demo"]:
        parts.append("演示数据")
    issue = data.get("issue") or issue_label(data["month"])
    story = [
        markup_para(text(data["title"]), styles.title),
        markup_para(
            f"<font size=12>{text(issue)}　{text(data['month_label'])}</font>",
            ParagraphStyle("month", parent=styles.title, fontSize=12, leading=16, textColor=INK),
        ),
        markup_para(text(" · ".join(parts)), styles.subtitle),
        summary_box(data, styles, width),
    ]
    line = data.get("confirmation_line") or confirmation_sentence(data)
    colour = INK_HEX if data["confirmation"]["all_confirmed"] else RISE
    story.append(markup_para(f"<font color='{colour}'>月报确认：{text(line)}</font>", styles.body))
    return story


def summary_box(data: dict, styles: Styles, width: float) -> Table:
    """本月综述: one paragraph that says what the figures mean, in a shaded box."""
    sentences = data.get("summary") or summary_sentences(data)
    style = ParagraphStyle("summary", parent=styles.body, fontSize=9.5, leading=14, spaceAfter=0)
    box = Table([[markup_para(f"<b>本月综述</b>　{text(''.join(sentences))}", style)]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SUMMARY_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 2, ACCENT),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return box


# --------------------------------------------------------------------------------------------
# Section 2: headline figures

HEADLINE_ORDER = (
    "leasable_area",
    "occupied_area",
    "occupancy",
    "vacant_area",
    "tenants",
    "move_ins",
    "move_in_area",
    "move_outs",
    "move_out_area",
    "registered_rate",
    "registered_area_rate",
    "tax_month",
    "tax_ytd",
)


def headline_section(data: dict, styles: Styles, width: float) -> list:
    rows = []
    for key in HEADLINE_ORDER:
        item = data["headline"][key]
        kind = item["kind"]
        value = value_text(kind, item["value"])
        if key == "tax_month" and item["value"] is None:
            value = "尚未导入"
        rows.append(
            [
                text(item["label"]),
                value,
                value_text(kind, item["prev_month"]),
                change_text(kind, item["change_month"]) if key != "tax_ytd" else "—",
                value_text(kind, item["prev_year"]),
                change_text(kind, item["change_year"]),
            ]
        )
    header = ["指标", "本月", "上月", "较上月", "去年同月", "同比"]
    widths = [width * w for w in (0.20, 0.18, 0.17, 0.15, 0.17, 0.13)]
    story = [heading("一、核心指标", styles), plain_table(header, rows, widths, styles)]
    notes = ["本年累计税收的“去年同月”为上年同期（1 月至同月）累计。属地注册率按企业数计，另列按面积计。"]
    if not data["tax_imported"]:
        latest = data["as_of"]["tax_latest_period"]
        notes.append(
            f"{data['month_label']}的税收数据尚未导入"
            + (f"（最新为 {month_label(latest)}）" if latest else "")
            + "，本年累计不含本月。"
        )
    story.extend(markup_para(text(n), styles.note) for n in notes)
    story += bridge_section(data, styles, width)
    return story


BRIDGE_ITEMS_SHOWN = 20  # 其他 lines printed one by one; the rest as one line with their sum


def bridge_section(data: dict, styles: Styles, width: float) -> list:
    """变动说明: last month-end + 新入驻 − 迁出 − 到期未处置 + 其他 = this month-end, for occupied area
    (to the hundredth of a m², so the printed lines add up) and for tenants; 其他 itemised."""
    area_item, tenants_item = data["headline"]["occupied_area"], data["headline"]["tenants"]
    area_bridge, tenants_bridge = area_item["bridge"], tenants_item["bridge"]

    def row(label, area_value, tenants_value, signed=True):
        if not signed:
            return [text(label), area_exact(area_value), f"{tenants_value:,}"]
        return [text(label), signed_area(area_value), signed_count(tenants_value)]

    rows = [
        row("上月末", area_item["prev_month"], tenants_item["prev_month"], signed=False),
        row("新入驻", area_bridge["moved_in"], tenants_bridge["moved_in"]),
        row("迁出", -area_bridge["moved_out"], -tenants_bridge["moved_out"]),
        row("到期未处置", -area_bridge["lapsed"], -tenants_bridge["lapsed"]),
        row(
            "其他（明细见下）" if area_bridge["other_items"] or tenants_bridge["other_items"] else "其他",
            area_bridge["other"],
            tenants_bridge["other"],
        ),
        row("本月末", area_item["value"], tenants_item["value"], signed=False),
    ]
    widths = [width * w for w in (0.34, 0.36, 0.30)]
    story = [
        KeepTogether(
            [
                sub_heading(f"变动说明（{data['month_label']}末较上月末）", styles),
                plain_table(["", "已出租面积 m²", "入驻企业 家"], rows, widths, styles),
            ]
        )
    ]
    lines = [f"已出租面积 · {item['label']}：{signed_area(item['amount'])} m²" for item in area_bridge["other_items"]]
    lines += [
        f"入驻企业 · {item['label']}：{signed_count(item['amount'])} 家" for item in tenants_bridge["other_items"]
    ]
    if len(lines) > BRIDGE_ITEMS_SHOWN:
        rest = len(lines) - BRIDGE_ITEMS_SHOWN
        lines = lines[:BRIDGE_ITEMS_SHOWN] + [f"……另有 {rest} 项，明细见简报的 JSON 数据"]
    story.extend(markup_para(text(f"其他 · {line}"), styles.note) for line in lines)
    story.append(markup_para(text("上月末 + 新入驻 − 迁出 − 到期未处置 + 其他 = 本月末；口径见附录。"), styles.note))
    return story


# --------------------------------------------------------------------------------------------
# Section 3: occupancy by building


def buildings_section(data: dict, styles: Styles, width: float) -> list:
    tier_year = data["tax"]["tier_year_label"]
    columns = [
        Column("街道", "street", width * 0.08),
        Column("楼宇", "building", width * 0.22, "markup"),
        Column("入驻率", "occupancy", width * 0.07, "percent"),
        Column("较上月 百分点", "change_points", width * 0.08, "points"),
        Column("可租面积 m²", "leasable_area", width * 0.11, "area"),
        Column("空置面积 m²", "vacant_area", width * 0.11, "area"),
        Column("入驻企业", "tenants", width * 0.07, "int"),
        Column("本年累计税收 万元", "tax_ytd", width * 0.12, "wan"),
        Column(f"{tier_year}档次", "tier_label", width * 0.08),
        Column("月报", "confirmed_label", width * 0.06),
    ]
    rows = [
        dict(
            b,
            building=name_code(b),
            tier_label=tier_label(b["tier"]),
            confirmed_label="确认" if b["confirmed"] else "推算",
        )
        for b in data["buildings"]
    ]
    story = [
        heading("二、各楼宇入驻情况", styles),
        markup_para(
            text(
                f"按街道排列；入驻率为{data['month_label']}末数字，较上月变动以百分点计；"
                f"“推算”表示该楼宇尚未确认本月数据。低于 70% 的楼宇 {data['buildings_below_target']} 栋。"
            ),
            styles.note,
        ),
        table(columns, rows, styles) if rows else none_line("系统中还没有楼宇。", styles),
    ]
    if rows:
        story += occupancy_chart(data, styles, width)
    return story


def occupancy_chart(data: dict, styles: Styles, width: float) -> list:
    """Occupancy by building as bars, those under the target in their own colour; one drawing
    per page at most (a chart never breaks between pages), each kept with its title."""
    target = float(half_up(data["target_occupancy"] * 100, 0))
    target_text = f"{target:g}%"
    labels = [b["name"] for b in data["buildings"]]
    values = [float(half_up((b["occupancy"] or 0) * 100, 1)) for b in data["buildings"]]
    title = sub_heading(f"各楼宇入驻率（红色虚线为 {target_text} 目标线，橙色为低于目标的楼宇）", styles)
    drawings = horizontal_bars(
        labels,
        [Series(f"入驻率达到 {target_text}", values, ACCENT)],
        styles.font,
        width,
        reference=target,
        reference_label=f"{target_text} 目标线",
        unit="单位：%",
        axis_max=100,
        per_drawing=bars_fitting(usable_height("portrait") - CHART_TITLE_HEIGHT),
        shortfall=Shortfall(colors.HexColor(SHORTFALL), f"低于 {target_text} 目标"),
    )
    story = [KeepTogether([title, drawings[0]])]
    story += [KeepTogether([sub_heading("各楼宇入驻率（续）", styles), d]) for d in drawings[1:]]
    return story


# --------------------------------------------------------------------------------------------
# Section 4: tax


def tax_section(data: dict, styles: Styles, width: float) -> list:
    tax = data["tax"]
    monthly = tax["monthly"]
    amounts, unit = chart_amounts(m["amount"] for m in monthly)
    chart = line_chart(
        [m["period"] for m in monthly],
        [Series("全区月度税收", amounts, ACCENT)],
        styles.font,
        width,
        unit=f"单位：{unit}",
    )
    story = [
        KeepTogether(
            [
                heading("三、税收", styles),
                markup_para(
                    f"本年累计税收 {money(tax['tax_ytd'])}，上年同期 {money(tax['tax_ytd_prev'])}，"
                    f"同比 {yoy_text(tax['tax_ytd_change'])}。近 24 个月全区月度税收如下"
                    f"（口径：{text(data['as_of']['tax_basis_label'])}）。",
                    styles.body,
                ),
                chart,
            ]
        ),
        Spacer(1, 4),
        sub_heading(
            f"本年累计税收前 {len(tax['top_buildings'])} 名楼宇"
            if tax["top_buildings"]
            else "本年累计税收前 10 名楼宇",
            styles,
        ),
    ]
    if tax["top_buildings"]:
        columns = [
            Column("排名", "rank", width * 0.07, "int"),
            Column("楼宇", "building", width * 0.33, "markup"),
            Column("街道", "street", width * 0.11),
            Column("本年累计 万元", "tax_ytd", width * 0.15, "wan"),
            Column("上年同期 万元", "tax_ytd_prev", width * 0.15, "wan"),
            Column("同比", "yoy_text", width * 0.10, "markup"),
            Column(f"{tax['tier_year_label']}档次", "tier_label", width * 0.09),
        ]
        rows = [
            dict(r, building=name_code(r), yoy_text=yoy_text(r["yoy"]), tier_label=tier_label(r["tier"]))
            for r in tax["top_buildings"]
        ]
        story.append(table(columns, rows, styles))
    else:
        story.append(none_line("本年尚无楼宇税收数据。", styles))
    story.append(sub_heading("本年档次变动", styles))
    if tax["tier_movements"]:
        columns = [
            Column("楼宇", "building", width * 0.30, "markup"),
            Column("上年档次", "prev_label", width * 0.12),
            Column("本年已达", "now_label", width * 0.12),
            Column(f"{tax['prev_year_label']} 万元", "annual_prev", width * 0.15, "wan"),
            Column("本年累计 万元", "tax_ytd", width * 0.15, "wan"),
            Column("变动", "direction_label", width * 0.16),
        ]
        rows = [
            dict(
                m,
                building=name_code(m),
                prev_label=tier_label(m["tier_prev_year"]),
                now_label=tier_label(m["tier_so_far"]),
                direction_label=DIRECTIONS[m["direction"]],
            )
            for m in tax["tier_movements"]
        ]
        story.append(table(columns, rows, styles))
        story.append(
            markup_para(
                text(
                    "“升档”：本年累计已超过上年所在档次的门槛；“尚未达到上年档次”：本年累计暂未达到上年档次的门槛，"
                    "年内仍可能达到。"
                ),
                styles.note,
            )
        )
    else:
        story.append(none_line("本年累计税收所达档次与上年相同，没有档次变动。", styles))
    return story


# --------------------------------------------------------------------------------------------
# Section 5: 亿元楼


def yi_section(data: dict, styles: Styles, width: float) -> list:
    yi = data["yi"]
    story = [heading("四、亿元楼与准亿元楼", styles)]
    if yi["yi_buildings"]:
        names = "、".join(f"{b['name']}（{money(b['tier_year_tax'])}）" for b in yi["yi_buildings"])
        story.append(markup_para(text(f"{yi['tier_year_label']}亿元楼 {yi['yi_count']} 栋：{names}。"), styles.body))
    else:
        story.append(markup_para(text(f"{yi['tier_year_label']}没有亿元楼。"), styles.body))
    if not yi["available"]:
        story.append(none_line(f"准亿元楼：{yi['message']}。", styles))
        return story
    as_of = month_label(yi["as_of"])
    if yi["yi_so_far"]:
        names = "、".join(f"{b['name']}（{money(b['ytd'])}）" for b in yi["yi_so_far"])
        story.append(
            markup_para(
                text(f"截至 {as_of}，本年累计税收已达亿元楼门槛 {len(yi['yi_so_far'])} 栋：{names}。"), styles.body
            )
        )
    else:
        story.append(markup_para(text(f"截至 {as_of}，尚无楼宇本年累计税收达到亿元楼门槛。"), styles.body))
    if not yi["candidates"]:
        story.append(none_line(f"截至 {as_of}，没有预计全年税收达到候选门槛的楼宇。", styles))
        return story
    shown = len(yi["candidates"])
    story.append(
        sub_heading(
            f"准亿元楼（共 {yi['candidates_total']} 栋，按预计全年税收排名"
            + (f"，列前 {shown} 栋）" if yi["candidates_total"] > shown else "）"),
            styles,
        )
    )
    columns = [
        Column("排名", "rank", width * 0.06, "int"),
        Column("楼宇", "building", width * 0.22, "markup"),
        Column("本年累计 万元", "ytd", width * 0.11, "wan"),
        Column("预计全年 万元", "projection", width * 0.11, "wan"),
        Column("差距 万元", "gap", width * 0.10, "wan"),
        Column("空置潜力 万元", "vacancy_potential", width * 0.10, "wan"),
        Column("项目潜力 万元", "pipeline_potential", width * 0.10, "wan"),
        Column("研判", "verdict", width * 0.20),
    ]
    story.append(table(columns, [dict(r, building=name_code(r)) for r in yi["candidates"]], styles))
    story.append(
        markup_para(
            text(
                f"数据截至 {as_of}；亿元楼门槛 {money(yi['threshold'])}，候选门槛 {money(yi['candidate_threshold'])}；"
                "差距 = 门槛 − 预计全年（负数表示预计超过门槛）。与《亿元楼候选名单》同一口径。"
            ),
            styles.note,
        )
    )
    return story


# --------------------------------------------------------------------------------------------
# Section 6: the pipeline


def pipeline_section(data: dict, styles: Styles, width: float) -> list:
    pipe = data["pipeline"]
    stages = {s["stage"]: s for s in pipe["funnel"]}
    story = [
        heading("五、招商进展", styles),
        markup_para(
            text(
                f"本月新增招商项目 {pipe['new_leads']} 个（预计年税收 {money(pipe['new_leads_expected_tax'])}）；"
                f"本月签约 {len(pipe['signed'])} 个（预计年税收 {money(pipe['signed_expected_tax'])}），"
                f"入驻 {pipe['landed_month']} 个（预计年税收 {money(pipe['landed_expected_tax'])}）；"
                f"本年累计入驻 {pipe['landed_year']} 个，上年同期 {pipe['landed_year_prev']} 个。"
                f"在谈项目 {pipe['active_count']} 个，预计年税收 {money(pipe['active_expected_tax'])}，"
                f"按阶段概率加权 {money(pipe['active_weighted_tax'])}。"
            ),
            styles.body,
        ),
    ]
    steps = [
        FunnelStep(
            stages[s]["label"],
            stages[s]["count"],
            f"{stages[s]['count']} 个 · 预计年税收 {money(stages[s]['expected_tax'])}",
        )
        for s in LINE_STAGES
        if s in stages
    ]
    off_line = "；".join(f"{s['label']} {s['count']} 个" for s in pipe["funnel"] if s["stage"] not in LINE_STAGES)
    story.append(
        KeepTogether(
            [
                sub_heading(f"各阶段项目（截至 {pipe['state_as_of']}）", styles),
                funnel_chart(steps, styles.font, width),
                markup_para(text(f"另有{off_line}。") if off_line else "", styles.note),
            ]
        )
    )
    lead_columns = [
        Column("企业", "company_name", width * 0.28),
        Column("阶段", "stage_label", width * 0.08),
        Column("日期", "date", width * 0.11),
        Column("负责人", "owner", width * 0.10),
        Column("目标楼宇", "buildings", width * 0.28),
        Column("预计年税收 万元", "expected_annual_tax", width * 0.15, "wan"),
    ]
    for title, rows, empty in (
        ("本月签约项目", pipe["signed"], "本月没有签约的项目。"),
        ("本月入驻项目", pipe["landed"], "本月没有入驻（落地）的项目。"),
    ):
        story.append(sub_heading(title, styles))
        story.append(table(lead_columns, rows, styles) if rows else none_line(empty, styles))
    story.append(sub_heading("各招商专员（月末状态；逾期跟进为下次跟进日期早于月末的在谈项目）", styles))
    if pipe["promoters"]:
        columns = [
            Column("招商专员", "name", width * 0.22),
            Column("在谈项目", "active", width * 0.14, "int"),
            Column("在谈预计年税收 万元", "expected_tax", width * 0.22, "wan"),
            Column("本月跟进次数", "followups_month", width * 0.18, "int"),
            Column("逾期跟进", "overdue", width * 0.14, "int"),
        ]
        story.append(table(columns, pipe["promoters"], styles))
    else:
        story.append(none_line("系统中还没有招商专员。", styles))
    return story


# --------------------------------------------------------------------------------------------
# Section 7: the watch list


def watch_section(data: dict, styles: Styles, width: float) -> list:
    watch = data["watch"]
    story = [
        heading("六、重点关注", styles),
        sub_heading("大额纳税企业租约即将到期（近 12 个月税收前 100 名，180 天内到期）", styles),
    ]
    if watch["expiring_large_taxpayers"]:
        columns = [
            Column("税收排名", "rank", width * 0.08, "int"),
            Column("企业", "company", width * 0.30),
            Column("楼宇", "building", width * 0.20, "markup"),
            Column("到期日", "end_date", width * 0.11),
            Column("剩余天数", "days_left", width * 0.08, "int"),
            Column("面积 m²", "area", width * 0.10, "area"),
            Column("近12月税收 万元", "tax_12m", width * 0.13, "wan"),
        ]
        rows = [dict(r, building=name_code(r, "building")) for r in watch["expiring_large_taxpayers"]]
        story.append(table(columns, rows, styles))
    else:
        story.append(none_line("没有大额纳税企业的租约在 180 天内到期。", styles))
    story.append(sub_heading("入驻率较上月下降超过 5 个百分点的楼宇", styles))
    if watch["occupancy_drops"]:
        columns = [
            Column("楼宇", "building", width * 0.34, "markup"),
            Column("街道", "street", width * 0.12),
            Column("上月入驻率", "occupancy_prev", width * 0.13, "percent"),
            Column("本月入驻率", "occupancy", width * 0.13, "percent"),
            Column("变动 百分点", "change_points", width * 0.13, "points"),
            Column("空置面积 m²", "vacant_area", width * 0.15, "area"),
        ]
        story.append(table(columns, [dict(r, building=name_code(r)) for r in watch["occupancy_drops"]], styles))
    else:
        story.append(none_line("没有楼宇的入驻率较上月下降超过 5 个百分点。", styles))
    story.append(sub_heading("本月迁出本区的企业", styles))
    if watch["left_district"]:
        columns = [
            Column("企业", "company", width * 0.36),
            Column("原楼宇", "building", width * 0.24, "markup"),
            Column("迁出日期", "moved_out_on", width * 0.13),
            Column("面积 m²", "area", width * 0.12, "area"),
            Column("近12月税收 万元", "tax_12m", width * 0.15, "wan"),
        ]
        story.append(
            table(columns, [dict(r, building=name_code(r, "building")) for r in watch["left_district"]], styles)
        )
    else:
        story.append(none_line("本月没有企业迁出本区。", styles))
    return story


# --------------------------------------------------------------------------------------------
# Sections other domains add (crm.services.briefing.EXTRA_SECTIONS), printed alike

NUMERALS = "一二三四五六七八九十"
FIXED_SECTIONS = 6  # 一 to 六 above; extra sections are numbered on from 七


def section_number(index: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (enough for any number of sections a briefing will have)."""
    if index <= 10:
        return NUMERALS[index - 1]
    tens, units = divmod(index, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[units - 1] if units else "")


def extra_section(section: dict, number: str, styles: Styles, width: float) -> list:
    """One contributed section: its heading numbered on, paragraphs, typed tables and notes —
    every string escaped, numbers formatted by the column's kind."""
    story = [heading(f"{number}、{section['title']}", styles)]
    story += [markup_para(text(p), styles.body) for p in section["paragraphs"]]
    for table_data in section["tables"]:
        story.append(sub_heading(table_data["caption"], styles))
        if not table_data["rows"]:
            story.append(none_line(table_data["empty"], styles))
            continue
        total = sum(c["weight"] for c in table_data["columns"]) or 1
        columns = [
            Column(c["header"], f"c{i}", width * c["weight"] / total, c["kind"])
            for i, c in enumerate(table_data["columns"])
        ]
        rows = [{f"c{i}": value for i, value in enumerate(row)} for row in table_data["rows"]]
        story.append(table(columns, rows, styles))
    story += [markup_para(text(n), styles.note) for n in section["notes"]]
    return story


def extra_sections(data: dict, styles: Styles, width: float) -> list:
    story: list = []
    for offset, section in enumerate(data.get("sections", []), start=1):
        story += extra_section(section, section_number(FIXED_SECTIONS + offset), styles, width)
    return story


# --------------------------------------------------------------------------------------------
# The appendix: buildings not yet confirmed, the data's as-of dates, definitions


def unconfirmed_appendix(data: dict, styles: Styles, width: float) -> list:
    """The buildings whose month is not confirmed (page 1 says only how many)."""
    confirmation = data["confirmation"]
    unconfirmed = confirmation["unconfirmed"]
    story = [sub_heading(f"本月数据尚未确认的楼宇（{len(unconfirmed)}/{confirmation['buildings']} 栋）", styles)]
    if not unconfirmed:
        story.append(none_line(f"全部楼宇均已确认{data['month_label']}数据。", styles))
        return story
    story.append(
        markup_para(
            text(f"以下楼宇的楼宇管理员尚未确认{data['month_label']}数据，其数字按现有租约推算，确认后可能变动："),
            styles.body,
        )
    )
    columns = [
        Column("序号", "index", width * 0.08, "int"),
        Column("街道", "street", width * 0.16),
        Column("楼宇", "name", width * 0.52),
        Column("编号", "code", width * 0.24),
    ]
    story.append(table(columns, [dict(b, index=i) for i, b in enumerate(unconfirmed, start=1)], styles))
    return story


def appendix(data: dict, styles: Styles, width: float) -> list:
    as_of = data["as_of"]
    confirmation = data["confirmation"]
    latest = as_of["tax_latest_period"]
    lines = [
        f"入驻数据：截至 {as_of['occupancy_date']}（{data['month_label']}末）；"
        f"月报已确认 {confirmation['confirmed']}/{confirmation['buildings']} 栋，其余按现有租约推算。",
        f"税收数据：最新所属期 {month_label(latest) if latest else '（尚无）'}；口径 {as_of['tax_basis_label']}；"
        + ("本月税收已导入。" if as_of["tax_imported"] else "本月税收尚未导入。"),
        f"招商项目状态：截至 {as_of['pipeline_state_date']}（{data['month_label']}末，按阶段变更记录回溯）。",
        f"本简报生成于 {datetime.fromisoformat(data['generated_at']):%Y-%m-%d %H:%M}（北京时间），生成：{data['generated_by']}；"
        "每次生成均存档，重新生成不覆盖旧版本。",
    ]
    story = [PageBreak(), heading("附录　未确认楼宇、数据截至与口径说明", styles)]
    story += unconfirmed_appendix(data, styles, width)
    story.append(sub_heading("数据截至", styles))
    story.extend(markup_para(text(line), styles.body) for line in lines)
    story.append(sub_heading("口径说明", styles))
    story.extend(
        markup_para(text(f"{index}. {line}"), styles.body) for index, line in enumerate(data["definitions"], start=1)
    )
    return story


# --------------------------------------------------------------------------------------------
# The document


def briefing_story(data: dict) -> list:
    styles = report_styles()
    width = usable_width("portrait")
    story: list = []
    story += title_block(data, styles, width)
    story += headline_section(data, styles, width)
    story += buildings_section(data, styles, width)
    story += tax_section(data, styles, width)
    story += yi_section(data, styles, width)
    story += pipeline_section(data, styles, width)
    story += watch_section(data, styles, width)
    story += extra_sections(data, styles, width)
    story += appendix(data, styles, width)
    return story


def build_briefing_pdf(data: dict) -> tuple[bytes, int]:
    """The PDF of the briefing ``data`` (as from ``briefing_data``) and its number of pages."""
    story = briefing_story(data)
    styles = report_styles()
    return build_pdf_counted(
        story,
        title=f"{data['title']}（{data['month_label']}）",
        font=styles.font,
        generated_at=datetime.fromisoformat(data["generated_at"]),
        orientation="portrait",
    )
