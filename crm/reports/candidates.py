"""The 亿元楼 candidate report as a PDF for leadership (A4 landscape).

Takes the plain dict of ``crm.services.candidates.as_json`` — the very data the API returns — so
the PDF cannot show a figure the JSON does not.
"""

from __future__ import annotations

from datetime import datetime

from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from crm.models.choices import TIERS
from crm.formats import chart_unit, in_unit
from crm.reports.charts import Series, horizontal_bars
from crm.reports.document import build_pdf, usable_width
from crm.reports.markup import text
from crm.reports.styles import Styles, report_styles
from crm.reports.tables import Column, data_table, money
from crm.services.periods import label as month_label

DISTRICT = "西岗区"
ORIENTATION = "landscape"
BASIS_LABELS = {"total": "全口径", "district": "区级"}

METHOD_NOTE = [
    "本年累计：{year}年1月至截至月份的税收合计；上年同期：上年同月份区间的合计；同比 =（本年累计 − 上年同期）÷ 上年同期。",
    "预计全年：楼宇上年 12 个月均有税收且上年同期 > 0 时，预计全年 = 本年累计 × 上年全年 ÷ 上年同期；"
    "否则按月均推算，预计全年 = 本年累计 × 12 ÷ 截至月份的月数。",
    "候选条件：本年累计尚未达到亿元楼门槛、且预计全年不低于候选门槛（含上年亿元楼中按进度可保持者）；"
    "本年累计已达门槛的列为本年亿元楼。按预计全年从高到低排名。",
    "差距 = 亿元楼门槛 − 预计全年（负数表示预计超过门槛）。每平方米税收 = 截至月份在内的近 12 个月税收 ÷ 月末已出租面积；"
    "空置潜力 = 月末空置面积 × 每平方米税收；项目潜力（储备项目）= 截至月末在谈、以该楼为目标楼宇的招商项目"
    "预计年税收 × 月末所处阶段概率 ÷ 该项目的目标楼宇数，之和（一个项目意向多栋楼时平分，月末之后新建的项目不计）。"
    "仍缺 = 差距 − 空置潜力 − 项目潜力。金额 1 亿元及以上以亿元表示，均四舍五入。",
]


def title_line(data: dict, demo: bool = False) -> str:
    parts = [
        f"{DISTRICT} · {data['year']}年",
        f"数据截至 {month_label(data['as_of'])}",
        f"口径 {BASIS_LABELS.get(data['basis'], data['basis'])}",
        f"亿元楼门槛 {money(data['threshold'])}",
        f"候选门槛 {money(data['candidate_threshold'])}",
    ]
    if demo:
        parts.append("演示数据")
    return " · ".join(parts)


def _name_cell(row: dict) -> str:
    return f"{text(row['name'])}<br/><font size=6.5 color='#6c757d'>{text(row['code'])}</font>"


def _yi_table(data: dict, styles: Styles, width: float):
    columns = [
        Column("楼宇", "building", width * 0.40),
        Column("编码", "code", width * 0.14),
        Column("本年累计 万元", "ytd", width * 0.23, "wan"),
        Column(f"{data['prev_year_label']} 万元", "annual_prev", width * 0.23, "wan"),
    ]
    rows = [dict(r, building=r["name"]) for r in data["yi_buildings"]]
    return data_table(columns, rows, styles)


CANDIDATE_COLUMNS = [
    ("排名", "rank", 24, "int"),
    ("楼宇", "building", 96, "markup"),
    ("街道", "street", 40, "text"),
    ("上年档次", "tier_label", 40, "text"),
    ("本年累计 万元", "ytd", 52, "wan"),
    ("上年同期 万元", "ytd_prev", 52, "wan"),
    ("同比", "yoy", 40, "pct"),
    ("预计全年 万元", "projection", 54, "wan"),
    ("差距 万元", "gap", 50, "wan"),
    ("空置面积 m²", "vacant_area", 48, "area"),
    ("每m²税收 元", "tax_per_m2", 44, "yuan"),
    ("空置潜力 万元", "vacancy_potential", 48, "wan"),
    ("项目潜力 万元", "pipeline_potential", 48, "wan"),
]


def _candidate_table(data: dict, styles: Styles, width: float):
    fixed = sum(c[2] for c in CANDIDATE_COLUMNS)
    columns = [Column(h, k, w, kind) for h, k, w, kind in CANDIDATE_COLUMNS]
    columns.append(Column("研判", "verdict", width - fixed))
    rows = []
    for r in data["candidates"]:
        rows.append(dict(r, building=_name_cell(r), tier_label=TIERS.get(r["tier_prev"] or "", "—")))
    return data_table(columns, rows, styles)


def _chart(data: dict, styles: Styles, width: float) -> list:
    rows = data["candidates"]
    labels = [f"{r['rank']}. {r['name']}" for r in rows]
    unit = chart_unit([data["threshold"], *(r["projection"] for r in rows), *(r["ytd"] for r in rows)])
    return horizontal_bars(
        labels,
        [
            Series("本年累计", in_unit((r["ytd"] for r in rows), unit), colors.HexColor("#90a4ae")),
            Series("预计全年", in_unit((r["projection"] for r in rows), unit), colors.HexColor("#1f4e8c")),
        ],
        styles.font,
        width,
        reference=in_unit([data["threshold"]], unit)[0],
        reference_label=f"亿元楼门槛 {money(data['threshold'])}",
        unit=f"单位：{unit}",
    )


def build_candidates_pdf(data: dict, generated_at: datetime, demo: bool = False) -> bytes:
    """The PDF of the report ``data`` (as from ``as_json``)."""
    styles = report_styles()
    width = usable_width(ORIENTATION)
    as_of = month_label(data["as_of"])
    story: list = [
        Paragraph(f"{DISTRICT}亿元税收楼宇候选名单（准亿元楼）", styles.title),
        Paragraph(text(title_line(data, demo)), styles.subtitle),
        Paragraph(f"一、本年已达亿元楼（{len(data['yi_buildings'])} 栋）", styles.heading),
    ]
    if data["yi_buildings"]:
        story.append(_yi_table(data, styles, width * 0.6))
    else:
        story.append(Paragraph(f"截至 {as_of}，尚无楼宇本年累计税收达到亿元楼门槛。", styles.body))
    story.append(Paragraph(f"二、亿元楼候选（{len(data['candidates'])} 栋，按预计全年税收排名）", styles.heading))
    if data["candidates"]:
        story.append(_candidate_table(data, styles, width))
        story.append(Spacer(1, 6))
        drawings = _chart(data, styles, width)
        story.append(KeepTogether([Paragraph("三、预计全年税收与亿元楼门槛", styles.heading), drawings[0]]))
        story.extend(drawings[1:])
    else:
        story.append(Paragraph(f"截至 {as_of}，没有预计全年税收达到候选门槛的楼宇。", styles.body))
    story.append(
        KeepTogether(
            [Paragraph("计算方法", styles.heading)]
            + [Paragraph(text(line.format(year=data["year"])), styles.note) for line in METHOD_NOTE]
        )
    )
    return build_pdf(
        story,
        title=f"{DISTRICT}{data['year']}年亿元楼候选名单（截至 {as_of}）",
        font=styles.font,
        generated_at=generated_at,
        orientation=ORIENTATION,
    )
