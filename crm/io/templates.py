"""Import templates: an .xlsx per kind with Chinese headers, one example row and a notes sheet."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from crm.io.exports import xlsx_value

REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")

GENERAL_NOTES = [
    "第一行是表头，列的顺序可以调整；表头可用中文或英文列名。不认识的列会被忽略并在预览中提示。",
    "红底的列为必填列。示例行仅作参考，导入前请删除或替换为真实数据。",
    "可上传 .xlsx 或 .csv（UTF-8 或 GBK 编码）。上传后先看预览：新增、更新、不变的行数和每个错误所在的行与列；"
    "确认后全部写入，有任何错误则什么也不写入。",
    "金额单位为元，可带千分位逗号；表头写“（万元）”的金额列按万元换算。",
]


def template(kind) -> bytes:
    workbook = Workbook()
    data = workbook.active
    data.title = "数据"
    columns = kind.importable
    data.append([c.header for c in columns])
    data.append([xlsx_value(c.example) for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = data.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        example = data.cell(row=2, column=index)
        if hasattr(column.example, "year"):
            example.number_format = "yyyy-mm-dd"
        width = max(len(column.header) * 2 + 2, len(str(column.example or "")) + 2, 10)
        data.column_dimensions[cell.column_letter].width = min(width, 40)
    data.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append([f"{kind.label}导入模板"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([kind.description])
    for line in GENERAL_NOTES + list(kind.notes):
        notes.append([line])
    for row in range(2, notes.max_row + 1):
        notes.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    notes.append([])
    notes.append(["列名", "英文列名", "是否必填", "说明与允许的值"])
    header_row = notes.max_row
    for cell in notes[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in columns:
        notes.append([column.header, column.en, "必填" if column.required else "可选", column.note or ""])
    for letter, width in zip("ABCD", (22, 22, 10, 80)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
