"""The rows a preview read from a file, kept with its import batch for the confirm.

Reading and checking every cell of a 100,000-row workbook is half the work of a confirm; the
values read do not depend on the database, so the preview keeps them (``pack``) and the confirm
plans those very rows again (``unpack``) against the data as it is then. The rows are stored
column by column as compressed JSON — never pickled — with the file's SHA-256 and the day they
were read on: for another file or another day (a cell may be read relative to today) ``unpack``
gives None and the confirm reads the file as before. Values of a type this format does not know
leave the batch without kept rows (``pack`` gives None), with the same outcome.
"""

from __future__ import annotations

import json
import zlib
from datetime import date
from decimal import Decimal

from crm.io.columns import Located, ParsedRow

FORMAT = 1
PLAIN = (str, int, float, bool)


def _tag(values: list) -> str | None:
    """How a column's values are stored: "plain" (JSON as is), "decimal", "date", "list" (of
    text), or None when they cannot be stored faithfully."""
    types = {value.__class__ for value in values} - {type(None)}
    if not types:
        return "plain"
    if types <= set(PLAIN) and not (bool in types and len(types) > 1):
        return "plain"
    if types == {Decimal}:
        return "decimal"
    if types == {date}:
        return "date"
    if types == {list} and all(item.__class__ is str for value in values if value for item in value):
        return "list"
    return None


def pack(located: dict[str, Located], rows: list[ParsedRow], today: date, sha256: str) -> bytes | None:
    """The rows as stored, or None when a value cannot be stored faithfully."""
    keys = list(rows[0].values) if rows else []
    if not keys or any(list(row.values) != keys for row in rows):
        return None
    columns, tags = [], []
    for index, key in enumerate(keys):
        values = [row.values[key] for row in rows]
        tag = _tag(values)
        if tag is None:
            return None
        if tag == "decimal":
            values = [None if value is None else str(value) for value in values]
        elif tag == "date":
            values = [None if value is None else value.isoformat() for value in values]
        columns.append(values)
        tags.append(tag)
    document = {
        "format": FORMAT,
        "sha256": sha256,
        "today": today.isoformat(),
        "located": [[key, loc.index, loc.header, loc.letter, str(loc.scale)] for key, loc in located.items()],
        "keys": keys,
        "tags": tags,
        "rows": [row.row for row in rows],
        "columns": columns,
    }
    return zlib.compress(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes | None, kind, today: date, sha256: str) -> tuple[dict[str, Located], list[ParsedRow]] | None:
    """The located columns and rows kept for this file and day, or None (then read the file)."""
    if not blob:
        return None
    try:
        document = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError):
        return None
    if document.get("format") != FORMAT or document["sha256"] != sha256 or document["today"] != today.isoformat():
        return None
    columns_by_key = {column.key: column for column in kind.columns}
    located = {}
    for key, index, header, letter, scale in document["located"]:
        if key not in columns_by_key:
            return None  # the kind's columns changed since the preview
        located[key] = Located(columns_by_key[key], index, header, letter, Decimal(scale))
    columns = []
    for tag, values in zip(document["tags"], document["columns"]):
        if tag == "decimal":
            values = [None if value is None else Decimal(value) for value in values]
        elif tag == "date":
            values = [None if value is None else date.fromisoformat(value) for value in values]
        columns.append(values)
    keys = document["keys"]
    rows = [ParsedRow(number, dict(zip(keys, values))) for number, values in zip(document["rows"], zip(*columns))]
    return located, rows
