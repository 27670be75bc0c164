"""Building spreadsheet files in memory, and a fingerprint of the tables an import may touch."""
from __future__ import annotations

import hashlib
import io

from openpyxl import Workbook
from sqlalchemy import text

from crm.extensions import db

AFFECTED_TABLES = ("buildings", "units", "unit_self_use", "companies", "leases", "lease_units", "tax_records",
                   "building_tax_months")


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
