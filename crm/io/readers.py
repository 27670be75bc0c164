"""Reading an uploaded .xlsx or .csv into a header and numbered rows.

.xlsx is read with python-calamine (Rust: 100,000 rows in about a second, where openpyxl takes
ten times longer), after ``sniff`` has checked the zip and its XML and ``extent`` has checked
that no sheet reaches beyond the ``ReadLimits`` (calamine allocates a sheet's whole extent at
once, and a failed allocation aborts the process). CSV is decoded as UTF-8 (with or without BOM)
and, failing that, as GB18030 — the superset of the GBK that Excel on a Chinese Windows writes —
and held to the same limits of rows and columns as it is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import python_calamine

from crm.io.extent import Extent, ReadLimits, check_table_size, check_workbook_extent
from crm.io.sniff import file_format
from crm.services.bounds import clean_text
from crm.services.errors import DomainError

# What a Rust panic inside python-calamine becomes: a BaseException, which ``except Exception``
# would let through as a server error.
UNEXPECTED = (Exception,) + tuple(
    error for error in BaseException.__subclasses__() if error.__name__ == "PanicException"
)


@dataclass
class Table:
    """The header (its row number and cells) and an iterator over (row number, cells)."""

    header_row: int
    header: list
    rows: Iterator[tuple[int, list]]
    first_column: int = 0  # index of the sheet's first column (calamine trims leading empty ones)
    format: str = "xlsx"


def read_table(filename: str, data: bytes, limits: ReadLimits | None = None) -> Table:
    """The table of an uploaded file; DomainError for a file that cannot or may not be read.

    Rows are read lazily: a CSV beyond the limits is refused while its rows are read.
    """
    limits = limits or ReadLimits()
    fmt = file_format(filename, data)
    if fmt == "xlsx":
        check_workbook_extent(data, limits)
    rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data, limits)
    first_column = next(rows) if fmt == "xlsx" else 0
    for number, cells in rows:
        if not is_blank(cells):
            # The header's text reaches messages and the stored preview: cleaned like every cell.
            return Table(number, [clean_text(c) for c in cells], rows, first_column, fmt)
    raise DomainError("文件中没有内容：第一行应为表头（可下载模板查看格式）", field="file")


def is_blank(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _xlsx_rows(data: bytes):
    """Yields the first column index, then (row number, cells) for every row of the first sheet."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except python_calamine.PasswordError:
        raise DomainError("工作簿设置了密码，请取消密码保护后再上传", field="file") from None
    except UNEXPECTED as error:  # calamine raises several types for a damaged workbook
        raise DomainError(f"无法读取工作簿：{type(error).__name__}，文件可能已损坏", field="file") from None
    yield sheet.start[1] if sheet.start else 0
    if sheet.start is None:
        return  # an empty sheet
    # iter_rows starts at the sheet's first row (row 1) whatever the used range, so the position
    # is the spreadsheet row number the user sees.
    yield from enumerate(sheet.iter_rows(), start=1)


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DomainError("无法识别 CSV 文件的编码：请另存为“CSV UTF-8”或 GBK 编码", field="file") from None


def _csv_rows(data: bytes, limits: ReadLimits):
    text = decode_csv(data)
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    extent = Extent()
    try:
        # Numbered by record, as Excel shows a CSV: a quoted cell spanning lines is still one row.
        for number, cells in enumerate(reader, start=1):
            extent.rows, extent.columns = number, max(extent.columns, len(cells))
            check_table_size(extent, limits, "CSV 文件")
            yield number, cells
    except csv.Error as error:
        raise DomainError(f"第 {number + 1} 行：CSV 格式错误（{error}）", field="file") from None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
