"""Generated workbooks never kill the process and never answer 5xx.

Hypothesis writes .xlsx files byte by byte: random extents (up to and past Excel's last row and
column), cells without references, repeated, lower-case or single-quoted references, merged
ranges, shared strings (some indices out of range, a ``uniqueCount`` that may lie), odd cell
types (errors, booleans, ISO dates, formulas, 1e400, NaN, control characters), ``<dimension>``
tags that lie, several sheets, and sometimes the header of an import kind so the rows reach the
cell parsers.

Each workbook is first read by a separate worker process (``read_table``, then python-calamine
on whatever it lets through, comparing calamine's extent with the bound): were the extent check
to let a dangerous file through, only that worker would die and the example would shrink like
any failing assertion. Only files the worker survived are then uploaded on /imports for every
kind and given to ``crm import --dry-run``, in this process. Derandomized: the same examples in
every run.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crm.io.kinds import all_kinds
from tests.io.helpers import raw_xlsx

WORKER = textwrap.dedent("""
    import io, json, struct, sys, zipfile
    import python_calamine
    from crm.io.extent import ReadLimits, part_extent
    from crm.io.readers import read_table
    from crm.services.errors import DomainError

    def answer(data):
        try:
            table = read_table("fuzz.xlsx", data)
            rows = sum(1 for _ in table.rows)
        except DomainError as error:
            return {"refused": error.message}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bound = part_extent(archive, archive.getinfo("xl/worksheets/sheet1.xml"), ReadLimits())
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        read = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
        return {"rows": rows, "read": read, "bound": [bound.rows, bound.columns] if bound else [0, 0]}

    while True:
        head = sys.stdin.buffer.read(4)
        if len(head) < 4:
            break
        data = sys.stdin.buffer.read(struct.unpack(">I", head)[0])
        sys.stdout.write(json.dumps(answer(data)) + "\\n")
        sys.stdout.flush()
""")


class Worker:
    """A python process that reads workbooks for the test and may die doing it."""

    def __init__(self):
        self.process = None

    def read(self, data: bytes) -> dict:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        try:
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        except BrokenPipeError:
            line = b""
        if not line:
            self.process.wait(timeout=30)
            code, error = self.process.returncode, self.process.stderr.read().decode(errors="replace")[-1500:]
            self.process = None
            raise AssertionError(f"reading the workbook killed the process (exit {code}):\n{error}")
        return json.loads(line)

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def worker():
    reader = Worker()
    yield reader
    reader.close()


# ------------------------------------------------------------------------------------------
# workbooks


def column_name(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


SMALL_ROWS, SMALL_COLUMNS = st.integers(1, 40), st.integers(1, 12)
ROWS = st.one_of(
    SMALL_ROWS,
    st.integers(1, 1_048_576),
    st.sampled_from([199_999, 200_000, 200_001, 1_048_576, 1_048_577, 4_294_967_297]),
)
COLUMNS = st.one_of(SMALL_COLUMNS, st.integers(1, 16_384), st.sampled_from([100, 101, 16_384, 16_385, 321_272_406]))
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x3000), max_size=12)
HEADERS = sorted({column.zh for kind in all_kinds() for column in kind.importable})


# A cell's type attribute and the values its <v> may hold.
VALUES = {
    "": ["1", "-0", "3.14", "1e400", "NaN", "inf", "1E308", "99999999999999999999", "46023"],
    ' t="s"': [str(i) for i in range(-1, 13)],  # shared strings, some past the table's end
    ' t="b"': ["0", "1", "2", "x"],
    ' t="e"': ["#DIV/0!", "#N/A", "#REF!", "#NAME?"],
    ' t="d"': ["2026-10-31T00:00:00", "1899-12-30", "9999-12-31", "x"],
}


@st.composite
def cell_value(draw) -> tuple[str, str]:
    """(the cell's type attribute, its content)."""
    kind = draw(st.sampled_from(["inline", "value", "formula", "empty", "str"]))
    if kind == "inline":
        # A control character as a character reference reaches the reader; written raw, the XML
        # is not well-formed (both happen in files found in the wild).
        control = draw(st.sampled_from(["", "", "&#27;", "&#7;", "&#x85;", "\x1b"]))
        return ' t="inlineStr"', f"<is><t>{escape(draw(TEXT))}{control}{escape(draw(TEXT))}</t></is>"
    if kind == "value":
        attribute = draw(st.sampled_from(list(VALUES)))
        return attribute, f"<v>{draw(st.sampled_from(VALUES[attribute]))}</v>"
    if kind == "formula":
        return "", "<f>SUM(A1:A2)</f><v>3</v>"
    if kind == "str":
        return ' t="str"', f"<v>{escape(draw(TEXT))}</v>"
    return "", ""


@st.composite
def cell_xml(draw, row: int, columns, rows) -> str:
    column = draw(columns)
    ref = f"{column_name(column)}{row}"
    style = draw(
        st.sampled_from(["plain", "plain", "plain", "lower", "none", "repeated", "quoted", "spaced", "styled"])
    )
    far = f"{column_name(draw(columns))}{draw(rows)}"
    attributes = {
        "plain": f' r="{ref}"',
        "lower": f' r="{ref.lower()}"',
        "none": "",
        "repeated": f' r="{ref}" r="{far}"',
        "quoted": f" r='{ref}'",
        "spaced": f' r = "{ref}"',
        "styled": f' s="0" r="{ref}"',
    }[style]
    kind, content = draw(cell_value())
    if not content:
        return f"<c{attributes}/>"
    return f"<c{attributes}{kind}>{content}</c>"


@st.composite
def sheet_xml(draw, header: list[str] | None) -> bytes:
    rows = []
    if header:
        rows.append(
            '<row r="1">'
            + "".join(
                f'<c r="{column_name(i + 1)}1" t="inlineStr"><is><t>{escape(h)}</t></is></c>'
                for i, h in enumerate(header)
            )
            + "</row>"
        )
    far = draw(st.booleans())  # a sheet either reaches anywhere or stays near A1, as most files do
    rows_, columns = (ROWS, COLUMNS) if far else (SMALL_ROWS, SMALL_COLUMNS)
    for _ in range(draw(st.integers(0, 6))):
        row = draw(rows_)
        cells = "".join(draw(st.lists(cell_xml(row, columns, rows_), max_size=5)))
        style = draw(st.sampled_from(["numbered", "numbered", "bare", "empty"]))
        rows.append(
            {"numbered": f'<row r="{row}">{cells}</row>', "bare": f"<row>{cells}</row>", "empty": f'<row r="{row}"/>'}[
                style
            ]
        )
    dimension = draw(
        st.sampled_from(
            [
                "",
                '<dimension ref="A1"/>',
                '<dimension ref="A1:XFD1048576"/>',
                f'<dimension ref="A1:{column_name(draw(columns))}{draw(rows_)}"/>',
            ]
        )
    )
    merges = draw(st.lists(st.tuples(COLUMNS, ROWS, COLUMNS, ROWS), max_size=3))
    merged = (
        ""
        if not merges
        else f'<mergeCells count="{len(merges)}">'
        + "".join(f'<mergeCell ref="{column_name(a)}{b}:{column_name(c)}{d}"/>' for a, b, c, d in merges)
        + "</mergeCells>"
    )
    return (dimension + "<sheetData>" + "".join(rows) + "</sheetData>" + merged).encode()


@st.composite
def workbooks(draw) -> bytes:
    header = draw(st.one_of(st.none(), st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8, unique=True)))
    sheets = [draw(sheet_xml(header))] + draw(st.lists(sheet_xml(None), max_size=2))
    strings = None
    if draw(st.booleans()):
        texts = draw(st.lists(TEXT, max_size=6))
        count = draw(st.sampled_from([str(len(texts)), "99999999999999", "0", "x"]))
        strings = (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" uniqueCount="{count}">'
            + "".join(f"<si><t>{escape(t)}</t></si>" for t in texts)
            + "</sst>"
        ).encode()
    return raw_xlsx(sheets, shared_strings=strings)


# ------------------------------------------------------------------------------------------
# the property


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=workbooks())
def test_a_generated_workbook_never_kills_the_process_nor_answers_5xx(app, session, district, worker, tmp_path, data):
    answer = worker.read(data)
    event("read by calamine" if "read" in answer else f"refused: {answer['refused'][:12]}")
    if "read" in answer:  # calamine read it: the check's bound holds what calamine allocated
        assert answer["bound"][0] >= answer["read"][0] and answer["bound"][1] >= answer["read"][1], answer
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": "pw-for-tests-123"}).status_code == 302
    for kind in all_kinds():
        response = client.post(
            "/imports",
            data={"kind": kind.name, "file": (io.BytesIO(data), "生成.xlsx")},
            content_type="multipart/form-data",
        )
        assert response.status_code < 500, (kind.name, response.status_code)
    path = tmp_path / "生成.xlsx"
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["import", "companies", str(path), "--dry-run"])
    assert result.exit_code in (0, 1) and result.exception is None or isinstance(result.exception, SystemExit), (
        result.output
    )
    session.rollback()
