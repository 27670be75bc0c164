"""Columns of an import kind, matched by their Chinese or English header in any order.

A header may carry a unit in brackets — 全口径税收（元） or 全口径税收（万元）; money columns accept
万元 and convert to yuan. Missing required columns and a column given twice are errors; columns
nobody knows are reported as warnings and ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm.io.parsers import CellError, is_empty
from crm.io.readers import Table, column_letter
from crm.io.report import Plan

UNIT_RE = re.compile(r"^(.*?)[(\[](.*?)[)\]]$")
WAN_UNITS = {"万元", "万", "wan", "10kyuan"}
YUAN_UNITS = {"", "元", "yuan", "rmb", "cny"}


@dataclass(frozen=True)
class ParseEnv:
    """What a parser may need besides the cell: today (for months) and a 万元 scale."""

    today: date
    scale: Decimal = Decimal(1)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    parse: Callable[[Any, ParseEnv], Any] | None = None
    required: bool = False  # the column must be present and each of its cells filled
    unit: str | None = None  # shown in the header: 元, m²
    money: bool = False  # accepts a 万元 header
    note: str = ""  # explained on the template's notes sheet
    example: Any = None
    export_only: bool = False  # written by exports (e.g. figures); recognised and skipped on import
    aliases: tuple[str, ...] = ()
    blank: Any = None  # the value of an empty cell (False for yes/no columns)

    @property
    def header(self) -> str:
        return f"{self.zh}（{self.unit}）" if self.unit else self.zh


@dataclass(frozen=True)
class Located:
    column: Column
    index: int
    header: str  # as written in the file
    letter: str
    scale: Decimal


@dataclass(slots=True)
class ParsedRow:
    row: int
    values: dict[str, Any]


def normalise(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip().lstrip("*").strip()
    return re.sub(r"[\s_]+", "", text).lower()


def split_unit(header: str) -> tuple[str, str]:
    normal = normalise(header)
    match = UNIT_RE.match(normal)
    return (match.group(1), match.group(2)) if match else (normal, "")


def match_header(columns: list[Column], table: Table, plan: Plan) -> dict[str, Located]:
    by_name = {}
    for column in columns:
        for name in (column.zh, column.en, *column.aliases):
            by_name[normalise(name)] = column
    found: dict[str, Located] = {}
    row = table.header_row
    for index, cell in enumerate(table.header):
        if is_empty(cell):
            continue
        written = str(cell).strip()
        letter = column_letter(table.first_column + index)
        name, unit = split_unit(written)
        column = by_name.get(name) or by_name.get(normalise(written))
        if column is None:
            plan.warn(row, written, letter, "无法识别的列，已忽略（可识别的列见模板的“说明”页）")
            continue
        if column.key in found:
            first = found[column.key]
            plan.error(
                row,
                written,
                letter,
                f"列“{column.header}”出现了两次（{first.letter} 列和 {letter} 列），请删除其中一列",
            )
            continue
        scale = Decimal(1)
        if column.money and by_name.get(name) is column:
            if unit in WAN_UNITS:
                scale = Decimal(10000)
            elif unit not in YUAN_UNITS:
                plan.error(row, written, letter, f"无法识别的金额单位“{unit}”：表头请写“（元）”或“（万元）”")
        found[column.key] = Located(column, index, written, letter, scale)
    for column in columns:
        if column.required and column.key not in found:
            plan.error(row, column.header, None, f"缺少必填列“{column.header}”（也可用英文列名 {column.en}）")
    return found


# A column's cells read so far, by text (or number, or date), while they repeat (a source, a building code, a date):
# a parser gives the same value for the same text, so each distinct text is read once. Past this
# many distinct texts (names, codes, phone numbers) the column is read cell by cell.
REMEMBERED = 2048
IMMUTABLE = (str, int, float, bool, Decimal, date, tuple, type(None))
CELL_TYPES = (int, float, bool, date, datetime)  # what else a reader gives: remembered by type and value


class _Remembered:
    """What a column's parser made of a text: a value (a list kept as a tuple) or a CellError."""

    __slots__ = ("value", "error", "listed")

    def __init__(self, value=None, error: CellError | None = None):
        self.listed = value.__class__ is list
        self.value = tuple(value) if self.listed else value
        self.error = error


def parse_rows(located: dict[str, Located], table: Table, plan: Plan, today: date) -> list[ParsedRow]:
    """Every non-blank data row with its values; a cell that cannot be read is an error."""
    readable = [loc for loc in located.values() if not loc.column.export_only]
    envs = {loc.column.key: ParseEnv(today, loc.scale) for loc in readable}
    # What each column needs, looked up once rather than once a cell (100,000 rows × 20 columns).
    steps = [
        (
            loc,
            loc.index,
            loc.column.key,
            loc.column.parse,
            envs[loc.column.key],
            loc.column.required,
            loc.column.blank,
            {} if loc.column.parse else None,
        )
        for loc in readable
    ]
    rows = []
    for number, cells in table.rows:
        for cell in cells:  # skip a blank row (parsers.is_empty, inlined: most rows stop at their first cell)
            if cell is not None and (cell.__class__ is not str or cell.strip()):
                break
        else:
            continue
        values: dict[str, Any] = {}
        bad = False
        width = len(cells)
        for position, (loc, index, key, parse, env, required, blank, seen) in enumerate(steps):
            raw = cells[index] if index < width else None
            if raw is None or (raw.__class__ is str and not raw.strip()):  # parsers.is_empty, inlined
                if required:
                    plan.error(number, loc.header, loc.letter, "不能为空")
                    bad = True
                values[key] = blank
                continue
            if parse is None:
                values[key] = raw
                continue
            kind = raw.__class__
            if seen is None or (kind is not str and kind not in CELL_TYPES):
                try:
                    values[key] = parse(raw, env)
                except CellError as error:
                    plan.error(number, loc.header, loc.letter, error.message)
                    bad = True
                continue
            cell = raw if kind is str else (kind, raw)  # 1, 1.0 and True are equal keys: told apart by type
            known = seen.get(cell)
            if known is None:
                try:
                    known = _Remembered(parse(raw, env))
                except CellError as error:
                    known = _Remembered(error=error)
                if known.value.__class__ in IMMUTABLE:  # a value that could change is never shared by rows
                    if len(seen) < REMEMBERED:
                        seen[cell] = known
                    else:  # mostly distinct texts: read the rest of the column cell by cell
                        steps[position] = (loc, index, key, parse, env, required, blank, None)
            if known.error is not None:
                plan.error(number, loc.header, loc.letter, known.error.message)
                bad = True
            else:
                values[key] = list(known.value) if known.listed else known.value
        if not bad:
            rows.append(ParsedRow(number, values))
    return rows
