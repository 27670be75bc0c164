"""Building spreadsheet files in memory, and a fingerprint of the tables an import may touch."""

from __future__ import annotations

import hashlib
import io

from openpyxl import Workbook
from sqlalchemy import text

from crm.extensions import db

AFFECTED_TABLES = (
    "buildings",
    "units",
    "unit_self_use",
    "companies",
    "leases",
    "lease_units",
    "tax_records",
    "building_tax_months",
)


def xlsx(rows: list[list], title: str = "数据") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def db_state() -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row's content, per affected table.

    Read through the session, so it also sees what an import flushed but did not commit.
    """
    state = {}
    for table in AFFECTED_TABLES:
        columns = [c.name for c in db.metadata.tables[table].columns]
        rows = db.session.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}")).all()
        digest = hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest()
        state[table] = (len(rows), digest)
    return state


SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/relationships"><Relationship Id="rId1" Type="'
    + RELATIONSHIP_NS.encode()
    + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def raw_xlsx(sheets: list[bytes], shared_strings: bytes | None = None, names: list[str] | None = None) -> bytes:
    """A workbook whose sheets are the given XML, written byte for byte as a test wants them:
    ``sheets`` are the contents of each ``<worksheet>`` (e.g. ``b"<sheetData>…</sheetData>"``)
    or whole parts when they start with ``<?xml``."""
    import zipfile

    names = names or [f"Sheet{i + 1}" for i in range(len(sheets))]
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(sheets))
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + overrides
        + "</Types>"
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SPREADSHEET_NS}" xmlns:r="{RELATIONSHIP_NS}">'
        "<sheets>"
        + "".join(f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, name in enumerate(names))
        + "</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{RELATIONSHIP_NS}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    if shared_strings is not None:
        rels += f'<Relationship Id="rIdS" Type="{RELATIONSHIP_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">' + rels + "</Relationships>",
        )
        for i, sheet in enumerate(sheets):
            part = (
                sheet
                if sheet.startswith(b"<?xml")
                else (
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="'
                    + SPREADSHEET_NS.encode()
                    + b'">'
                    + sheet
                    + b"</worksheet>"
                )
            )
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", part)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def calamine_extent(data: bytes) -> tuple[int, int]:
    """(last row, last column), 1-based, of the first sheet as python-calamine reads it — only for
    a workbook the extent check has let through (anything else could abort the process)."""
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
