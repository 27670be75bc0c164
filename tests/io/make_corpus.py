"""Builds the binary files of the bad-input corpus (workbooks, a zip bomb, an XML entity attack).

    python -m tests.io.make_corpus DIR     # writes them to DIR for a look; the tests build them in tmp

The text cases (CSV) live as files in tests/io/corpus/.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from pathlib import Path

from tests.io.helpers import xlsx

COMPANIES = [["统一社会信用代码", "企业名称"], ["91210200000000103E", "新企业有限公司"]]

BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
)


def rewrite_zip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """The workbook ``data`` with some parts replaced (by name) and others added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def macro_workbook() -> bytes:
    data = xlsx(COMPANIES)
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return rewrite_zip(data, {"[Content_Types].xml": types}, {"xl/vbaProject.bin": b"\x00" * 64})


def ratio_bomb() -> bytes:
    """A sheet of 60 MB of spaces: it deflates about a thousand times over."""
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b" " * 60_000_000
        + b"<sheetData/></worksheet>"
    )
    return rewrite_zip(xlsx(COMPANIES), {"xl/worksheets/sheet1.xml": sheet})


def declared_size_bomb() -> bytes:
    """A small workbook whose zip directory declares a 3.9 GB sheet, as a crafted bomb would."""
    data = bytearray(xlsx(COMPANIES))
    name = b"xl/worksheets/sheet1.xml"
    at = 0
    while True:
        at = data.index(b"PK\x01\x02", at)
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, 4_000_000_000)  # uncompressed size
            return bytes(data)
        at += 4


def entity_attack() -> bytes:
    return rewrite_zip(xlsx(COMPANIES), {"xl/worksheets/sheet1.xml": BILLION_LAUGHS})


def not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def build() -> dict[str, bytes]:
    good = xlsx(COMPANIES)
    return {
        "empty.xlsx": b"",
        "csv_renamed.xlsx": "统一社会信用代码,企业名称\n91210200000000103E,新企业\n".encode(),
        "pdf_renamed.xlsx": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "zip_renamed.xlsx": not_a_workbook_zip(),
        "old_format.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "workbook_renamed.xlsm": good,
        "macro_inside.xlsx": macro_workbook(),
        "pdf_renamed.csv": b"%PDF-1.4\n%%EOF\n",
        "ratio_bomb.xlsx": ratio_bomb(),
        "declared_size_bomb.xlsx": declared_size_bomb(),
        "entity_attack.xlsx": entity_attack(),
        "report.pdf": b"%PDF-1.4\n%%EOF\n",
    }


def main(argv=None) -> int:
    target = Path((argv or sys.argv[1:])[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (target / name).write_bytes(data)
    print(f"wrote {len(build())} files to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
