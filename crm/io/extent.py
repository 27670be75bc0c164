"""How far a workbook's sheets really reach, read from the bytes before any reader allocates them.

Why: python-calamine (Rust) turns a sheet into one rectangular grid spanning its first to its
last non-empty cell, ~32 bytes a cell, and aborts the whole process — no Python exception — when
that allocation fails. A 2 KB workbook holding only ``A1`` and ``XFD1048576`` asks for 550 GB.
Opening a workbook also reserves room for as many shared strings as ``sharedStrings.xml``
declares in its ``uniqueCount``. Nothing else it reads is sized by the file's own claims:
merged ranges are kept as a list, and only the first sheet's cells are read
(``get_sheet_by_index(0)``).

What is checked, against ``ReadLimits`` (settings, see ``crm/config.py``):
- every part of the zip that holds cells, not only the sheet calamine will read: finding "the
  first sheet" exactly as calamine does (relationship targets taken raw, case-insensitive part
  names) is easy to get subtly wrong, and a wrong guess would let the file through;
- the last row, the last column and their product (the grid a reader would allocate), from
  the cell references themselves. The ``<dimension>`` tag is only a hint: it may be absent or
  lie, so a tag beyond the limits makes the count exact but never refuses a file by itself;
- the ``uniqueCount`` of every shared-strings part.

An ordinary sheet (every cell written ``<c r="B7" …>``, attributes written plainly, as Excel,
WPS, LibreOffice and openpyxl write them) is bounded by a few scans at C speed, about a third of
what reading it costs: the last ``<row r>`` and the widest column of the first rows give an
estimate, and a pass over every ``r="…"`` proves that no reference lies beyond it, wherever
calamine would take a cell's reference from (a repeated ``r`` too). Anything else (cells without
a reference, namespace prefixes, quoting or spacing the scans do not cover, an estimate beyond
the limits) is counted exactly, tag by tag, the way calamine places cells: a cell without ``r``
goes right of the previous one, a ``</row>`` moves to the next row, an empty cell takes no room.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from crm.services.bounds import clean_text
from crm.services.errors import DomainError

CHUNK = 4 * 1024 * 1024
HEAD = 64 * 1024  # where the column estimate and the <dimension> tag are looked for
ATTRIBUTE_SPACE = b" \t\n\x0c\r"  # what calamine's attribute reader skips


@dataclass(frozen=True)
class ReadLimits:
    """How large a sheet (or a CSV file) an import reads; beyond them the file is refused."""

    rows: int = 200_000
    columns: int = 100
    cells: int = 5_000_000  # rows × columns of the grid a reader allocates (~32 bytes each)

    @classmethod
    def from_config(cls, config) -> ReadLimits:
        return cls(
            rows=int(config.get("IMPORT_MAX_ROWS", cls.rows)),
            columns=int(config.get("IMPORT_MAX_COLUMNS", cls.columns)),
            cells=int(config.get("IMPORT_MAX_CELLS", cls.cells)),
        )


@dataclass
class Extent:
    """The last row and column (1-based) of a sheet's non-empty cells; 0 when there are none."""

    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.columns


# ------------------------------------------------------------------------------------------
# refusing


def column_name(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def check_table_size(extent: Extent, limits: ReadLimits, where: str) -> None:
    """Refuse a table larger than the limits, in Chinese, naming the limit it passes."""
    if extent.rows > limits.rows:
        raise DomainError(
            f"{where}的数据延伸到第 {extent.rows:,} 行，超过每个工作表最多 {limits.rows:,} 行的上限："
            "请删除多余的行（包括看似空白但有格式的行），或把数据拆成几个文件分别导入",
            field="file",
        )
    if extent.columns > limits.columns:
        raise DomainError(
            f"{where}的数据延伸到第 {extent.columns:,} 列（{column_name(extent.columns)} 列），"
            f"超过最多 {limits.columns:,} 列的上限：请删除多余的列",
            field="file",
        )
    if extent.cells > limits.cells:
        raise DomainError(
            f"{where}的数据范围为 {extent.rows:,} 行 × {extent.columns:,} 列"
            f"（A1:{column_name(extent.columns)}{extent.rows}），共 {extent.cells:,} 个单元格，"
            f"超过最多 {limits.cells:,} 个单元格的上限：请删除多余的行和列，或把数据拆成几个文件分别导入",
            field="file",
        )


def check_workbook_extent(data: bytes, limits: ReadLimits) -> None:
    """Refuse a workbook whose sheets or shared strings reach beyond ``limits``.

    ``data`` has passed ``crm.io.sniff.check_workbook_zip`` (a zip of bounded size whose names
    are unique), so every part may be read.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sheet_names(archive)
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.filename.replace("\\", "/").lower().endswith("sharedstrings.xml"):
                check_shared_strings(archive, info, limits)
            extent = part_extent(archive, info, limits)
            if extent is not None:
                check_table_size(extent, limits, f"工作表“{names.get(info.filename) or info.filename}”")


# ------------------------------------------------------------------------------------------
# shared strings

SST_RE = re.compile(rb"<(?:[^\s/>]*:)?sst[ \t\r\n/>]")


def check_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> None:
    """The count a reader reserves room for, from the first <sst> start tag of the part."""
    for chunk in chunks(archive, info):
        match = SST_RE.search(chunk)
        if match is None:
            continue
        declared = raw_attribute(tag_attributes(chunk, match.end() - 1), b"uniqueCount")
        if declared is not None and declared.isdigit() and int(declared) > limits.cells:
            raise DomainError(
                f"工作簿的共享文字表声明了 {int(declared):,} 条文字，超过最多 {limits.cells:,} 条的上限："
                "文件可能已损坏，请在 Excel 中另存为新的 .xlsx 后再上传",
                field="file",
            )
        return


# ------------------------------------------------------------------------------------------
# cells: the estimate of an ordinary sheet

HEAD_COLUMN_RE = re.compile(rb'<c r="([A-Za-z]+)[0-9]')
DIMENSION_RE = re.compile(rb'<(?:[^\s/>]*:)?dimension[ \t\r\n]+ref="[A-Za-z]*[0-9]*:?([A-Za-z]*)([0-9]*)"')
# A sheet writes its attributes plainly when no cell has a namespace prefix or lacks ``r`` as its
# first attribute, no "=" has white space beside it and no value is in single quotes. Sheets that
# do otherwise are legal, only rare: they are counted, more slowly.
UNPLAIN = tuple(
    re.compile(pattern)
    for pattern in (
        rb":c[ \t\r\n/>]",
        rb'<c(?! r=")[ \t\r\n/>]',
        rb" =",
        rb"= ",
    )
)
# Searched for only in a chunk that holds the byte at all (a line break or a quote is rare).
UNPLAIN_AFTER = {
    byte: tuple(re.compile(re.escape(pattern)) for pattern in patterns)
    for byte, patterns in {
        b"\n": (b"\n=", b"=\n"),
        b"\t": (b"\t=", b"=\t"),
        b"\r": (b"\r=", b"=\r"),
        b"\x0c": (b"\x0c=", b"=\x0c"),
        b"'": (b"='",),
    }.items()
}


def part_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> Extent | None:
    """The extent of the cells in a part (None when it holds none), estimated or counted."""
    estimate = estimated_extent(archive, info, limits)
    if (
        estimate is not None
        and estimate.rows <= limits.rows
        and estimate.columns <= limits.columns
        and estimate.cells <= limits.cells
    ):
        return estimate if estimate.cells else None
    return counted_extent(archive, info, limits)


def estimated_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> Extent | None:
    """An upper bound of the extent of an ordinary sheet, or None when the sheet is not one (or
    says it is larger than the limits): then it is counted exactly.

    The bound is the last ``<row r>`` seen so far and the widest column of the sheet's first
    rows; every ``r="…"`` in the part is checked against it, which covers a cell's reference
    wherever calamine may take it from (the first ``r`` or a repeated one), given that the sheet
    writes its attributes plainly (``UNPLAIN``) and no cell goes without a reference.
    """
    rows = columns = 0
    for number, chunk in enumerate(chunks(archive, info)):
        if number == 0:
            columns = head_columns(chunk)
            declared = declared_extent(chunk)
            if declared.rows > limits.rows or declared.columns > limits.columns or declared.cells > limits.cells:
                return None
        if not plain(chunk):
            return None
        rows = max(rows, last_row_tag(chunk))
        if beyond_estimate(chunk, rows, columns):
            return None
    return Extent(rows, columns) if rows and columns else Extent()


def plain(chunk: bytes) -> bool:
    return not any(pattern.search(chunk) for pattern in UNPLAIN) and not any(
        pattern.search(chunk) for byte, patterns in UNPLAIN_AFTER.items() if byte in chunk for pattern in patterns
    )


def last_row_tag(chunk: bytes) -> int:
    """The number of the last ``<row r="…">`` of the chunk (0 without one)."""
    start = chunk.rfind(b'<row r="')
    if start < 0:
        return 0
    digits = chunk[start + 8 : chunk.find(b'"', start + 8)]
    return int(digits) if digits.isdigit() else 0


def head_columns(chunk: bytes) -> int:
    """The widest column named by the cells in the first part of a sheet (its header rows)."""
    letters = set(HEAD_COLUMN_RE.findall(chunk[:HEAD]))
    return max((column_number(name) for name in letters), default=0)


def declared_extent(chunk: bytes) -> Extent:
    """What the sheet's <dimension ref="A1:J100001"> tag claims (nothing when it has none)."""
    match = DIMENSION_RE.search(chunk[:HEAD])
    if match is None:
        return Extent()
    letters, digits = match.groups()
    return Extent(int(digits or 0), column_number(letters) if letters else 0)


def beyond_estimate(chunk: bytes, rows: int, columns: int) -> bool:
    """Whether any ``r="…"`` in the chunk names a cell past (``rows``, ``columns``).

    A cheap test first finds the references that might (more letters than the estimate's
    column, a later name of the same length, as many digits as its row or more); the exact test
    runs from the first of them on — in an ordinary file, over the last rows only."""
    coarse, exact = estimate_patterns(rows, columns)
    first = coarse.search(chunk)
    return first is not None and exact.search(chunk, first.start()) is not None


@functools.lru_cache(maxsize=64)
def estimate_patterns(rows: int, columns: int) -> tuple[re.Pattern, re.Pattern]:
    """(coarse, exact): every reference the exact pattern finds, the coarse one finds too."""
    if not rows or not columns:  # no estimate: every reference is beyond it
        return re.compile(rb'r="[A-Za-z]'), re.compile(rb'r="[A-Za-z]')
    name = column_name(columns)
    coarse = rb'r="(?:[A-Za-z]{%d}|(?:%s)[0-9]|[A-Za-z]+[0-9]{%d})' % (
        len(name) + 1,
        greater_letters(name, same_length=True) or b"(?!)",
        len(str(rows)),
    )
    exact = rb'r="(?:(?:%s)[0-9]|[A-Za-z]+(?:%s)")' % (greater_letters(name), greater_digits(rows))
    return re.compile(coarse), re.compile(exact)


def greater_digits(number: int) -> bytes:
    """A regular expression for the decimal numbers greater than ``number`` (a number written
    with more digits counts as greater, leading zeros or not: the estimate only gets safer)."""
    digits = str(number).encode()
    options = [b"[0-9]{%d,}" % (len(digits) + 1)]
    for i, digit in enumerate(digits):
        if digit < ord("9"):
            rest = len(digits) - i - 1
            options.append(re.escape(digits[:i]) + b"[%c-9]" % (digit + 1) + (b"[0-9]{%d}" % rest if rest else b""))
    return b"|".join(options)


def greater_letters(name: str, same_length: bool = False) -> bytes:
    """A regular expression for the column names after ``name`` (either case, as calamine reads
    them): longer names, and names of the same length that sort after it."""
    options = [] if same_length else [b"[A-Za-z]{%d,}" % (len(name) + 1)]
    for i, letter in enumerate(name):
        if letter < "Z":
            prefix = b"".join(b"[%c%c]" % (ord(c), ord(c.lower())) for c in name[:i])
            after = chr(ord(letter) + 1)
            rest = len(name) - i - 1
            options.append(
                prefix + b"[%c-Z%c-z]" % (ord(after), ord(after.lower())) + (b"[A-Za-z]{%d}" % rest if rest else b"")
            )
    return b"|".join(options)


def column_number(letters: bytes | str) -> int:
    """A → 1, Z → 26, AA → 27 (either case)."""
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(char) - 64
    return number


# ------------------------------------------------------------------------------------------
# cells: the exact count, tag by tag

TAG_RE = re.compile(
    rb"<(?:/(?:[^\s/>]*:)?(row|sheetData)\s*>"  # the end of a row or of the sheet's data
    rb"|(?:[^\s/>]*:)?(row|c|sheetData)(?=[ \t\r\n/>])"  # a start tag: its name …
    rb"([^>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^>\"']*+)*+)>"  # … its attributes, up to a > outside quotes
    rb"(\s*+</(?:[^\s/>]*:)?c\s*>)?)"  # a cell's end right after its start: an empty cell
)
REF_RE = re.compile(rb"([A-Za-z]*)([0-9]*)")


# The attributes of a cell as every spreadsheet writer writes them: its reference first, once.
PLAIN_CELL_RE = re.compile(rb' r="([A-Za-z]*)([0-9]*)"(?: (?:[a-qs-z][a-z]*|r[a-z]+)="[^"]*")*/?')


def counted_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> Extent | None:
    """The extent of the non-empty cells inside <sheetData>, placed as calamine places them.

    Stops as soon as the extent passes a limit: the answer is then already "too large".
    """
    last_row = last_column = 0
    found = inside = False
    row = column = 0  # 0-based position of the next cell without a reference
    columns = {}  # column letters → number, the few a sheet uses
    for chunk in chunks(archive, info):
        for ended, name, attributes, empty in TAG_RE.findall(chunk):
            if ended:
                if ended == b"row":
                    row, column = row + 1, 0
                else:
                    inside = False
                continue
            attributes = attributes.rstrip(ATTRIBUTE_SPACE)
            self_closing = attributes.endswith(b"/")
            if name != b"c":
                if name == b"sheetData":
                    inside = not self_closing
                    found = found or inside
                elif inside:
                    given = raw_attribute(attributes.rstrip(b"/"), b"r")
                    row = reference(given)[0] if given is not None else row
                    if self_closing:
                        row, column = row + 1, 0
                continue
            if not inside:
                continue
            plain = PLAIN_CELL_RE.fullmatch(attributes)
            if plain is not None:
                letters, digits = plain.groups()
                if letters not in columns:
                    columns[letters] = column_number(letters)
                at_row, at_column = max(int(digits or 0) - 1, 0), max(columns[letters] - 1, 0)
            else:
                given = cell_reference(attributes.rstrip(b"/"))
                at_row, at_column = reference(given) if given is not None else (row, column)
            column = at_column + 1
            if self_closing or empty:
                continue  # an empty cell takes no room in the grid
            if at_row >= last_row:
                last_row = at_row + 1
            if at_column >= last_column:
                last_column = at_column + 1
            if last_row > limits.rows or last_column > limits.columns or last_row * last_column > limits.cells:
                return Extent(last_row, last_column)
    return Extent(last_row, last_column) if found and last_row else None


def reference(raw: bytes) -> tuple[int, int]:
    """A cell reference as calamine reads it: (0-based row, 0-based column); 0 for a missing part."""
    match = REF_RE.fullmatch(raw)
    if match is None:
        return 0, 0  # calamine refuses the sheet; nothing is allocated
    letters, digits = match.groups()
    return max(int(digits or 0) - 1, 0), max(column_number(letters) - 1, 0) if letters else 0


def attributes_of(raw: bytes):
    """(key, value) pairs as calamine's attribute reader splits a tag: a key runs up to the next
    ``=``, a value is quoted; it stops at the first malformed attribute."""
    position, length = 0, len(raw)
    while position < length:
        while position < length and raw[position] in ATTRIBUTE_SPACE:
            position += 1
        equals = raw.find(b"=", position)
        if position >= length or equals < 0:
            return
        key = raw[position:equals].rstrip(ATTRIBUTE_SPACE)
        position = equals + 1
        while position < length and raw[position] in ATTRIBUTE_SPACE:
            position += 1
        if position >= length or raw[position] not in b"\"'":
            return
        end = raw.find(raw[position : position + 1], position + 1)
        end = length if end < 0 else end
        yield key, raw[position + 1 : end]
        position = end + 1


def raw_attribute(raw: bytes, name: bytes) -> bytes | None:
    """The first attribute called ``name``, as calamine reads a row's ``r`` or ``uniqueCount``."""
    return next((value for key, value in attributes_of(raw) if key == name), None)


def cell_reference(raw: bytes) -> bytes | None:
    """A cell's ``r`` as calamine reads it: one pass over the attributes that keeps the last ``r``
    seen until it has met ``r``, ``s`` and ``t`` three times in all."""
    found, seen = None, 0
    for key, value in attributes_of(raw):
        if key in (b"r", b"s", b"t"):
            if key == b"r":
                found = value
            seen += 1
            if seen == 3:
                break
    return found


ATTRIBUTES_RE = re.compile(rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def tag_attributes(chunk: bytes, start: int) -> bytes:
    """The attributes of the tag whose name ends just before ``start``."""
    match = ATTRIBUTES_RE.match(chunk, start)
    return match.group(1) if match else b""


# ------------------------------------------------------------------------------------------
# reading parts


def chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The part's bytes in pieces of about ``CHUNK``, each cut before its last start tag so that
    no tag is split between two pieces, nor a cell from an end tag right after it (an empty
    cell); a tag longer than a piece is read on until it ends."""
    pending = bytearray()
    with archive.open(info) as stream:
        while block := stream.read(CHUNK):
            pending += block
            cut = pending.rfind(b"<")
            while cut > 0 and pending[cut + 1 : cut + 2] == b"/":
                cut = pending.rfind(b"<", 0, cut)
            if cut < 0:  # no start tag in it: nothing to split
                yield bytes(pending)
                pending.clear()
            elif cut > 0:
                yield bytes(pending[:cut])
                del pending[:cut]
    if pending:
        yield bytes(pending)


NAMES_PART_LIMIT = 1024 * 1024  # a workbook part larger than this names its sheets in no message


def sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name → sheet name as the workbook lists them, for messages (best effort: {})."""
    try:
        parts = [archive.getinfo(name) for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")]
        if any(info.file_size > NAMES_PART_LIMIT for info in parts):
            return {}
        workbook, rels = (defused_fromstring(archive.read(info), forbid_dtd=True) for info in parts)
    except (KeyError, ParseError, DefusedXmlException, ValueError):
        return {}
    targets = {rel.get("Id"): rel.get("Target") or "" for rel in rels if rel.tag.endswith("Relationship")}
    names = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rel_id = next((value for key, value in sheet.attrib.items() if key.endswith("}id")), None)
        target = targets.get(rel_id, "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        names[path] = clean_text(sheet.get("name") or "")[:100] or path
    return names
