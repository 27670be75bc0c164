"""The space proposal (载体推荐书) a promoter sends a company: a cover with the comparison table,
then one page per candidate — the building's photo, its units with floor and area, a floor strip
showing where they are, and the building's external facts — and the promoter's contact.

Takes the plain dict of ``crm.space.proposals.proposal_data``: building facts from the profile's
external whitelist, so no tenant or tax figure of anyone else can appear.
"""

from __future__ import annotations

from datetime import datetime

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, Spacer

from crm.formats import area, area_exact
from crm.reports.document import build_pdf_counted, usable_width
from crm.reports.markup import text
from crm.reports.profile import _facts, _photos, _text_block
from crm.reports.styles import GRID, INK, MUTED, report_styles
from crm.reports.tables import Column, data_table

MARKING = "载体推荐书"
PROPOSED = colors.HexColor("#1f4e8c")
OTHER = colors.HexColor("#e9ecef")


def floor_strip(strip: dict, floors: int, font: str, width: float) -> Drawing:
    """Left: the building's floors as a thin column with the candidate's floor marked; right: the
    floor's units side by side, sized by area, the proposed ones filled."""
    height = 70
    drawing = Drawing(width, height)
    column_w, top, bottom = 14, height - 8, 12
    pitch = (top - bottom) / max(floors, 1)
    for level in range(1, floors + 1):
        y = bottom + (level - 1) * pitch
        marked = level == strip["floor"]
        drawing.add(
            Rect(4, y, column_w, max(pitch - 0.5, 0.5), fillColor=PROPOSED if marked else OTHER, strokeColor=None)
        )
    drawing.add(
        String(
            4 + column_w + 4,
            bottom + (strip["floor"] - 1) * pitch,
            f"{strip['floor']}F / 共 {floors} 层",
            fontName=font,
            fontSize=7,
            fillColor=INK,
        )
    )
    x0 = 90
    span = width - x0 - 4
    total = sum(float(a) for _, a, _ in strip["units"]) or 1
    x = x0
    for number, unit_area, chosen in strip["units"]:
        w = span * float(unit_area) / total
        drawing.add(
            Rect(x, 24, max(w - 1, 0.5), 28, fillColor=PROPOSED if chosen else OTHER, strokeColor=GRID, strokeWidth=0.3)
        )
        if w > 16:
            drawing.add(
                String(
                    x + w / 2,
                    34,
                    number,
                    fontName=font,
                    fontSize=6.5,
                    textAnchor="middle",
                    fillColor=colors.white if chosen else MUTED,
                )
            )
        x += w
    drawing.add(
        String(
            x0,
            8,
            f"{strip['floor']}F 平面示意：深色为推荐单元，按面积比例排列",
            fontName=font,
            fontSize=7,
            fillColor=MUTED,
        )
    )
    return drawing


def build_proposal_pdf(data: dict, generated_at: datetime) -> tuple[bytes, int]:
    """(PDF bytes, pages) of the proposal ``data``."""
    styles = report_styles()
    width = usable_width()
    rows = []
    for i, c in enumerate(data["candidates"], start=1):
        b = c["building"]
        rows.append(
            {
                "n": i,
                "building": b["name"],
                "street": f"{b['street']}街道",
                "grade": b["grade"] or "—",
                "floor": f"{c['floor']}F",
                "units": "、".join(label for label, _ in c["units"]),
                "area": c["area"],
                "transit": b["texts"]["transit"] or "—",
            }
        )
    intended = f"，意向面积约 {area(data['intended_area'])} m²" if data["intended_area"] else ""
    story: list = [
        Paragraph("载体推荐书", styles.title),
        Paragraph(text(f"致：{data['company']}"), styles.subtitle),
        Paragraph(
            text(
                f"感谢贵司关注大连市西岗区。根据贵司的需求{intended}，我们从区内商务楼宇中挑选了以下 "
                f"{len(rows)} 处办公空间供参考，各载体的详细介绍见后页。空间情况以 {data['date']} 为准。"
            ),
            styles.body,
        ),
        Paragraph("载体对比", styles.heading),
        data_table(
            [
                Column("#", "n", width * 0.05, "int"),
                Column("楼宇", "building", width * 0.22),
                Column("街道", "street", width * 0.11),
                Column("等级", "grade", width * 0.07),
                Column("楼层", "floor", width * 0.07),
                Column("单元", "units", width * 0.2),
                Column("面积 m²", "area", width * 0.1, "area"),
                Column("交通", "transit", width * 0.18),
            ],
            rows,
            styles,
        ),
    ]
    contact = data["contact"]
    contact_line = "，".join(x for x in (contact.get("name"), contact.get("email"), contact.get("org")) if x)
    story += [Paragraph("联系我们", styles.heading), Paragraph(text(contact_line), styles.body)]
    for i, c in enumerate(data["candidates"], start=1):
        b, t = c["building"], c["building"]["texts"]
        story += [
            PageBreak(),
            Paragraph(text(f"{i}. {b['name']} · {c['floor']}F"), styles.title),
            Paragraph(
                text(" · ".join(x for x in (f"{b['street']}街道", b["zone"], b["address"]) if x)), styles.subtitle
            ),
            *_photos(b["photos"][:1], width, 70 * mm),
            Paragraph("推荐单元", styles.heading),
            data_table(
                [
                    Column("单元", "label", width * 0.3),
                    Column("楼层", "floor", width * 0.2),
                    Column("面积 m²", "area", width * 0.25),
                ],
                [{"label": label, "floor": f"{c['floor']}F", "area": area_exact(a)} for label, a in c["units"]]
                + [{"label": "合计", "floor": "", "area": area_exact(c["area"])}],
                styles,
            ),
            Spacer(1, 4),
            floor_strip(c["strip"], b["floors"], styles.font, width),
            Paragraph("楼宇概况", styles.heading),
            _facts(
                [
                    ("楼宇等级", b["grade"] or "—"),
                    ("楼层", f"{b['floors']} 层"),
                    ("登记办公面积", f"{area(b['declared_office_area'])} m²"),
                    ("运营方", b["operator"] or "—"),
                    ("地铁/公交", t["transit"] or "—"),
                    ("停车位", t["parking"] or "—"),
                    ("餐饮", t["dining"] or "—"),
                    ("物业联系", t["property_contact"] or "—"),
                ],
                styles,
                width,
            ),
            *_text_block("楼宇简介", t["description"], styles),
            *_text_block("特色定位", t["positioning"], styles),
            *_text_block("适用政策", t["policies"], styles),
            Paragraph(text(f"联系人：{contact_line}"), styles.note),
        ]
    return build_pdf_counted(
        story, title=f"载体推荐书 · {data['company']}", font=styles.font, generated_at=generated_at, marking=MARKING
    )
