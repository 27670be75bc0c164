"""Report tables: a header row repeated on every page, rows never split across pages, amounts
in 万元 with one decimal, numbers right-aligned, every text cell escaped."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.platypus import Paragraph, Table, TableStyle

# One set of number formats for pages and PDFs (crm/formats.py); here under the names the
# report builders use ("pct" is the signed change, "percent" a plain share).
from crm.formats import area, money, percent, points, wan, yuan  # noqa: F401  (money: for builders)
from crm.formats import signed_percent as pct
from crm.reports.markup import para
from crm.reports.styles import GRID, HEADER_BG, INK, Styles

NUMERIC_KINDS = {"wan", "area", "pct", "int", "yuan", "percent", "points"}


FORMATS = {
    "wan": wan,
    "area": area,
    "pct": pct,
    "yuan": yuan,
    "int": lambda v: "—" if v is None else f"{v:,}",
    "percent": percent,
    "points": points,
}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: float  # points
    kind: str = "text"  # text | markup | wan | area | pct | int | yuan | percent | points


def cell(value, column: Column, styles: Styles, paragraph=Paragraph):
    if column.kind in NUMERIC_KINDS:
        # Table draws a plain string with drawString: no markup is parsed, nothing to escape.
        return FORMATS[column.kind](value)
    if column.kind == "markup":
        # Already markup, built by the caller from pieces escaped with ``markup.text``.
        return paragraph(value, styles.cell)
    return para(value if value is not None else "—", styles.cell, paragraph)


def data_table(columns: list[Column], rows: list[dict], styles: Styles, paragraph=Paragraph) -> Table:
    """A dense table of ``rows`` (dicts keyed by ``Column.key``); text cells are ``paragraph``s
    (a subclass such as ``kinsoku.KinsokuParagraph`` changes how they wrap)."""
    header = [para(c.header, styles.cell_header, paragraph) for c in columns]
    body = [[cell(row.get(c.key), c, styles, paragraph) for c in columns] for row in rows]
    table = Table([header, *body], colWidths=[c.width for c in columns], repeatRows=1, splitInRow=0)
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), styles.font),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, GRID),
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for index, column in enumerate(columns):
        if column.kind in NUMERIC_KINDS:
            commands.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    for row_index in range(2, len(body) + 1, 2):
        commands.append(("BACKGROUND", (0, row_index), (-1, row_index), "#f8f9fa"))
    table.setStyle(TableStyle(commands))
    return table
