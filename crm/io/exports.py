"""Writing lists as .xlsx or .csv with the same columns the imports read, so a file exported
here imports back as "unchanged".

Money is exact yuan, areas m², dates ISO. A text cell starting with = + - @ tab or CR is
prefixed with an apostrophe, so no spreadsheet runs it as a formula (the importer strips that
apostrophe again). Control characters are dropped from text, as every input path drops them:
whatever was stored before, no value can make a file fail to write (XML, so .xlsx, cannot hold
them at all). CSV is UTF-8 with a BOM, which Excel needs to show Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from crm.io.parsers import FORMULA_START
from crm.services.bounds import clean_text
from crm.services.errors import DomainError

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def escape_formula(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def cell_value(value):
    """A value as a cell holds it: numbers and dates stay typed, text is cleaned and formula-escaped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return value
    return escape_formula(clean_text(str(value)))


def csv_text(value) -> str:
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def write_xlsx(headers: list[str], rows: Iterable[list], sheet_title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.freeze_panes = "A2"
    sheet.append(header_cells)
    for row in rows:
        sheet.append([xlsx_value(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_value(value):
    value = cell_value(value)
    if isinstance(value, Decimal):
        return float(value)  # exact for the 2-decimal amounts and areas we hold (15 significant digits)
    return value


def write_csv(headers: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export(kind, items, fmt: str) -> bytes:
    """The file of ``items`` (from ``kind.export_items``) in ``fmt`` ('xlsx' or 'csv')."""
    if fmt not in FORMATS:
        raise DomainError(f"不支持的导出格式“{fmt}”：可选 xlsx 或 csv", field="format")
    columns = kind.columns
    headers = [c.header for c in columns]
    rows = ([values.get(c.key) for c in columns] for values in map(kind.export_values, items))
    if fmt == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, kind.export_name or kind.label)


def filename(kind, fmt: str, today: date, suffix: str = "") -> str:
    return f"{kind.export_name or kind.label}{suffix}-{today.isoformat()}.{fmt}"
