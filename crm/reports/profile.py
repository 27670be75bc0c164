"""Building profile PDFs (楼宇画像): the 内部版 for leadership, the 对外招商版 for prospects, and
the district booklet of every building's 对外招商版 with a table of contents.

Builders take the plain dicts of ``crm.space.profiles`` (``internal_data`` / ``external_data``);
the external builder is handed only what a prospect may read, so it cannot print a tenant or a
tax figure.
"""

from __future__ import annotations

import io
import os
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from crm.formats import area, area_exact, money, percent, yuan
from crm.reports.charts import Series, horizontal_bars, line_chart
from crm.reports.document import ISSUER, MARGIN, _numbered_canvas, build_pdf, usable_width
from crm.reports.markup import text
from crm.reports.styles import ACCENT, GRID, HEADER_BG, MUTED, Styles, report_styles
from crm.reports.tables import Column, data_table
from crm.services.periods import label as month_label

EXTERNAL_MARKING = "招商推介资料"
DISTRICT = "西岗区"


# ------------------------------------------------------------------------------------------
# pieces


def _facts(pairs: list[tuple[str, str]], styles: Styles, width: float, columns: int = 2) -> Table:
    """A grid of label/value pairs, ``columns`` pairs a row."""
    rows, row = [], []
    for label, value in pairs:
        row += [Paragraph(text(label), styles.note), Paragraph(text(value), styles.body)]
        if len(row) == 2 * columns:
            rows.append(row)
            row = []
    if row:
        rows.append(row + [""] * (2 * columns - len(row)))
    label_w = width * 0.14 if columns == 2 else width * 0.22
    value_w = width / columns - label_w
    table = Table(rows, colWidths=[label_w, value_w] * columns)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                *[("BACKGROUND", (i, 0), (i, -1), HEADER_BG) for i in range(0, 2 * columns, 2)],
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _photos(paths: list[str], width: float, height: float) -> list:
    """The photos side by side, each fitted into an equal share of ``width`` × ``height``."""
    found = [p for p in paths if os.path.isfile(p)]
    if not found:
        return []
    gap = 4
    box_w = (width - gap * (len(found) - 1)) / len(found)
    cells = []
    for path in found:
        w, h = ImageReader(path).getSize()
        scale = min(box_w / w, height / h)
        cells.append(Image(path, width=w * scale, height=h * scale))
    table = Table([cells], colWidths=[box_w + (gap if i < len(found) - 1 else 0) for i in range(len(found))])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table, Spacer(1, 4)]


def _vacant_rows(vacant) -> list[dict]:
    return [
        {
            "floor": f"{f.floor}F",
            "units": "、".join(f"{n}（{area_exact(a)} m²）" for n, a in f.units),
            "count": len(f.units),
            "area": f.area,
        }
        for f in vacant
    ]


def vacant_table(vacant, styles: Styles, width: float):
    columns = [
        Column("楼层", "floor", width * 0.1),
        Column("可租单元（面积）", "units", width * 0.6),
        Column("单元数", "count", width * 0.12, "int"),
        Column("合计 m²", "area", width * 0.18, "area"),
    ]
    return data_table(columns, _vacant_rows(vacant), styles)


def _text_block(title: str, value: str, styles: Styles) -> list:
    if not value:
        return []
    lines = [Paragraph(text(line), styles.body) for line in value.splitlines() if line.strip()]
    return [KeepTogether([Paragraph(text(title), styles.heading), *lines])]


# ------------------------------------------------------------------------------------------
# 对外招商版


def external_story(data: dict, styles: Styles, width: float) -> list:
    """One building's 对外招商版 as flowables (1–2 pages), for the PDF and for the booklet."""
    t = data["texts"]
    where = " · ".join(x for x in (f"{data['street']}街道", data["zone"], data["address"]) if x)
    story: list = [
        Paragraph(text(data["name"]), styles.title),
        Paragraph(text(f"{where} · {DISTRICT}商务局招商推介"), styles.subtitle),
        *_photos(data["photos"], width, 62 * mm),
    ]
    if t["description"]:
        story += [Paragraph(text(line), styles.body) for line in t["description"].splitlines() if line.strip()]
    vacant_total = sum((f.area for f in data["vacant"]), 0)
    story += [
        Paragraph("楼宇概况", styles.heading),
        _facts(
            [
                ("地址", data["address"] or "—"),
                ("所在街道", f"{data['street']}街道"),
                ("所属片区", data["zone"] or "—"),
                ("楼宇等级", data["grade"] or "—"),
                ("楼层", f"{data['floors']} 层"),
                ("登记办公面积", f"{area(data['declared_office_area'])} m²"),
                ("运营方", data["operator"] or "—"),
                ("物业联系", t["property_contact"] or "—"),
            ],
            styles,
            width,
        ),
        Paragraph("交通与配套", styles.heading),
        _facts(
            [("地铁/公交", t["transit"] or "—"), ("停车位", t["parking"] or "—"), ("餐饮", t["dining"] or "—")],
            styles,
            width,
            columns=1,
        ),
        *_text_block("特色定位", t["positioning"], styles),
        Paragraph(text(f"可租空间（截至 {data['as_of']}，共 {area(vacant_total)} m²）"), styles.heading),
    ]
    if data["vacant"]:
        story.append(vacant_table(data["vacant"], styles, width))
    else:
        story.append(Paragraph("目前暂无空置单元，欢迎登记意向，有空间释放时第一时间联系您。", styles.body))
    story += _text_block("适用政策", t["policies"], styles)
    contact = data["contact"]
    if contact:
        line = "，".join(x for x in (contact.get("name"), contact.get("email"), contact.get("org")) if x)
        story.append(KeepTogether([Paragraph("招商联系人", styles.heading), Paragraph(text(line), styles.body)]))
    return story


def build_external_pdf(data: dict, generated_at: datetime) -> bytes:
    styles = report_styles()
    story = external_story(data, styles, usable_width())
    return build_pdf(
        story,
        title=f"{data['name']} 楼宇画像（对外招商版）",
        font=styles.font,
        generated_at=generated_at,
        marking=EXTERNAL_MARKING,
    )


# ------------------------------------------------------------------------------------------
# 内部版


def _key_figures(data: dict, styles: Styles, width: float) -> Table:
    o = data["occupancy"]
    rate = None if not o.tenants else o.registered_tenants / o.tenants
    per_m2 = f"{yuan(data['tax_per_m2'])} 元" if data["tax_per_m2"] is not None else "—"
    return _facts(
        [
            ("登记办公面积", f"{area(data['declared_office_area'])} m²"),
            ("可租面积", f"{area(o.leasable_area)} m²"),
            ("已出租面积", f"{area(o.occupied_area)} m²"),
            ("入驻率", percent(o.occupancy)),
            ("入驻企业", f"{o.tenants} 家"),
            ("属地注册率", f"{percent(rate)}（{o.registered_tenants} 家）"),
            ("本年累计税收", money(data["tax_ytd"])),
            ("上年同期", money(data["tax_ytd_prev"])),
            (data["last_year_label"] + "税收", money(data["tax_last_year"])),
            ("每平方米税收（近12月）", per_m2),
            ("税收层级", data["tier"]),
            ("亿元楼候选", data["candidate"]),
        ],
        styles,
        width,
    )


def _trend(data: dict, styles: Styles, width: float):
    # Every third month labelled: 24 slanted labels in half a page would overlap.
    count = len(data["trend"])
    labels = [label if (count - 1 - i) % 3 == 0 else "" for i, (label, _) in enumerate(data["trend"])]
    values = [round((v or 0) * 100, 1) for _, v in data["trend"]]
    return line_chart(labels, [Series("月末入驻率", values, ACCENT)], styles.font, width, height=130, unit="单位：%")


def _industries(data: dict, styles: Styles, width: float) -> list:
    rows = data["industries"]
    if not rows:
        return [Paragraph("暂无入驻企业。", styles.body)]
    labels = [f"{g}（{n} 家）" for g, _, n in rows]
    return horizontal_bars(
        labels,
        [Series("出租面积", [float(a) for _, a, _ in rows], colors.HexColor("#4e79a7"))],
        styles.font,
        width,
        unit="单位：m²",
    )


def build_internal_pdf(data: dict, generated_at: datetime) -> bytes:
    styles = report_styles()
    width = usable_width()
    half = (width - 8) / 2
    story: list = [
        Paragraph(text(f"{data['name']} 楼宇画像（内部版）"), styles.title),
        Paragraph(
            text(
                f"{data['code']} · {data['street']}街道 · 数据截至 {month_label(data['month'])}"
                f"（租约与项目截至 {data['as_of']}）"
            ),
            styles.subtitle,
        ),
        _key_figures(data, styles, width),
        Spacer(1, 4),
    ]
    charts = Table(
        [
            [Paragraph("入驻率（近 24 个月）", styles.heading), Paragraph("产业结构（按出租面积）", styles.heading)],
            [_trend(data, styles, half), _industries(data, styles, half)],
        ],
        colWidths=[half + 8, half],
    )
    charts.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(charts)
    taxpayers = [{"rank": i, "name": n, "tax": t, "share": s} for i, (n, t, s) in enumerate(data["top_taxpayers"], 1)]
    story.append(Paragraph("纳税前十企业（近 12 个月，归属本楼）", styles.heading))
    story.append(
        data_table(
            [
                Column("#", "rank", width * 0.06, "int"),
                Column("企业", "name", width * 0.6),
                Column("税收 万元", "tax", width * 0.18, "wan"),
                Column("占本楼", "share", width * 0.16, "percent"),
            ],
            taxpayers,
            styles,
        )
        if taxpayers
        else Paragraph("近 12 个月无税收记录。", styles.body)
    )
    expiries = [{"month": month_label(p), "leases": n, "area": a} for p, n, a in data["expiries"]]
    lower: list = [Paragraph("未来 12 个月租约到期（按面积）", styles.heading)]
    lower.append(
        data_table(
            [
                Column("到期月份", "month", half * 0.4),
                Column("租约", "leases", half * 0.25, "int"),
                Column("面积 m²", "area", half * 0.35, "area"),
            ],
            expiries,
            styles,
        )
        if expiries
        else Paragraph("未来 12 个月没有到期的租约。", styles.body)
    )
    vacant = [{"floor": f"{f.floor}F", "count": len(f.units), "area": f.area} for f in data["vacant"]]
    right: list = [Paragraph("空置面积（按楼层）", styles.heading)]
    right.append(
        data_table(
            [
                Column("楼层", "floor", half * 0.3),
                Column("单元", "count", half * 0.3, "int"),
                Column("面积 m²", "area", half * 0.4, "area"),
            ],
            vacant,
            styles,
        )
        if vacant
        else Paragraph("没有空置单元。", styles.body)
    )
    pair = Table([[lower, right]], colWidths=[half + 8, half])
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(pair)
    leads = [{"name": n, "stage": s, "tax": t, "area": a, "owner": o} for n, s, t, a, o in data["leads"]]
    story.append(CondPageBreak(30 * mm))
    story.append(Paragraph(f"以本楼为目标的在谈项目（{len(leads)} 个）", styles.heading))
    story.append(
        data_table(
            [
                Column("企业", "name", width * 0.4),
                Column("阶段", "stage", width * 0.12),
                Column("预计年税收 万元", "tax", width * 0.18, "wan"),
                Column("意向面积 m²", "area", width * 0.15, "area"),
                Column("负责人", "owner", width * 0.15),
            ],
            leads,
            styles,
        )
        if leads
        else Paragraph("暂无以本楼为目标的在谈项目。", styles.body)
    )
    story.append(Paragraph("未处理预警", styles.heading))
    story += [Paragraph(text(w), styles.body) for w in data["warnings"]] or [Paragraph("暂无未处理预警。", styles.note)]
    return build_pdf(story, title=f"{data['name']} 楼宇画像（内部版）", font=styles.font, generated_at=generated_at)


# ------------------------------------------------------------------------------------------
# the booklet


class PageMark(Flowable):
    """Zero-size marker: notes the page it lands on (the booklet's canvas bookmarks it there)."""

    def __init__(self, key: str, title: str, pages: dict):
        super().__init__()
        self.key, self.title, self.pages = key, title, pages
        self.width = self.height = 0

    def wrap(self, *_):
        return 0, 0

    def draw(self):
        self.pages[self.key] = (self.canv.getPageNumber(), self.title)


class PageRef(Flowable):
    """A page number that is not known yet where it is drawn (the contents come first): it notes
    its page and position, and the booklet's canvas writes the number when the document is
    complete (see ``_booklet_canvas``). One layout, where a two-pass contents would need two."""

    def __init__(self, key: str, refs: list, font: str, size: float = 8.5, width: float = 30):
        super().__init__()
        self.key, self.refs, self.font, self.size, self.width, self.height = key, refs, font, size, width, size

    def wrap(self, *_):
        return self.width, self.height

    def draw(self):
        x, y = self.canv.absolutePosition(self.width, 2.5)
        self.refs.append((self.canv.getPageNumber(), x, y, self.key))


def _booklet_canvas(font: str, footer: str, marking: str, pages: dict, refs: list):
    base = _numbered_canvas(font, footer, marking)

    class BookletCanvas(base):
        def _frame(self, total: int) -> None:
            # Pages are held back until the end (for "共 M 页"), so a bookmark is only placed
            # now, when its page is really written.
            super()._frame(total)
            for key, (page, title) in pages.items():
                if page == self._pageNumber:
                    self.bookmarkPage(key)
                    self.addOutlineEntry(title, key, level=0)
            for page, x, y, key in refs:
                if page == self._pageNumber and key in pages:
                    self.saveState()
                    self.setFont(font, 8.5)
                    self.drawRightString(x, y, str(pages[key][0]))
                    self.restoreState()

    return BookletCanvas


def _contents(buildings: list[dict], refs: list, styles: Styles, width: float) -> Table:
    rows = [["编码", "楼宇", "街道", "可租空间 m²", "页码"]]
    for d in buildings:
        vacant = sum((f.area for f in d["vacant"]), 0)
        rows.append(
            [
                d["code"],
                Paragraph(text(d["name"]), styles.cell),
                f"{d['street']}",
                area(vacant),
                PageRef(d["code"], refs, styles.font),
            ]
        )
    table = Table(rows, colWidths=[width * 0.1, width * 0.48, width * 0.14, width * 0.16, width * 0.12], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.font),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ]
        )
    )
    return table


def build_booklet_pdf(buildings: list[dict], generated_at: datetime, title: str = "") -> bytes:
    """Every building's 对外招商版, each from a new page, after a table of contents whose page
    numbers are written once the layout has placed every building."""
    styles = report_styles()
    width = usable_width()
    title = title or f"{DISTRICT}商务楼宇招商手册"
    pages: dict[str, tuple[int, str]] = {}
    refs: list = []
    story: list = [
        Spacer(1, 30 * mm),
        Paragraph(text(title), styles.title),
        Paragraph(text(f"共 {len(buildings)} 栋楼宇 · {DISTRICT}商务局编"), styles.subtitle),
        Paragraph("目录", styles.heading),
        _contents(buildings, refs, styles, width),
    ]
    for d in buildings:
        story += [
            PageBreak(),
            PageMark(d["code"], f"{d['code']} {d['name']}", pages),
            *external_story(d, styles, width),
        ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=ISSUER,
        subject=EXTERNAL_MARKING,
        creator="楼宇招商通",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4,
        bottomMargin=MARGIN,
    )
    footer = f"{ISSUER} · 楼宇招商通 · 生成于 {generated_at:%Y-%m-%d %H:%M}"
    doc.build(story, canvasmaker=_booklet_canvas(styles.font, footer, EXTERNAL_MARKING, pages, refs))
    return buffer.getvalue()
