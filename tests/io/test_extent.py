"""Readers with limits: no workbook can make python-calamine allocate more than the limits allow.

A workbook holding only A1 and XFD1048576 made calamine ask for 550 GB and abort the process
(exit 134, no Python exception). Those tests run the reader in a subprocess, so that the failure
they guard against could only ever kill the child.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from crm.io.extent import ReadLimits, part_extent
from crm.io.readers import read_table
from crm.models import User
from crm.services.errors import DomainError
from tests.io.helpers import calamine_extent, csv_bytes, raw_xlsx, xlsx

LIMIT_MESSAGE = "超过每个工作表最多 200,000 行的上限"


def whole_sheet_workbook() -> bytes:
    """1.6 KB: a header in A1 and one value in the sheet's very last cell."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "企业名称"
    workbook.active["XFD1048576"] = "x"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_reading_a_workbook_that_spans_the_whole_sheet_is_refused_and_the_process_lives(tmp_path):
    path = tmp_path / "整张表.xlsx"
    path.write_bytes(whole_sheet_workbook())
    code = (
        "import sys\nfrom crm.io.readers import read_table\nfrom crm.services.errors import DomainError\n"
        "try:\n    read_table('整张表.xlsx', open(sys.argv[1], 'rb').read())\n"
        "except DomainError as error:\n    print(error.message)\n"
    )
    result = run_python(code, str(path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "数据延伸到第 1,048,576 行" in result.stdout and LIMIT_MESSAGE in result.stdout


def test_crm_import_refuses_it_with_exit_1_and_writes_nothing(tmp_path):
    path = tmp_path / "整张表.xlsx"
    path.write_bytes(whole_sheet_workbook())
    env = {"CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "CRM_INSTANCE_PATH": str(tmp_path)}
    result = run_python("from crm.console import main; main()", "import", "leads", str(path), env=env)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert LIMIT_MESSAGE in result.stdout + result.stderr and "没有写入任何数据" in result.stderr


def our_extent(data: bytes, limits: ReadLimits = ReadLimits()):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return part_extent(archive, archive.getinfo("xl/worksheets/sheet1.xml"), limits)


def sheet(rows: str, head: str = "") -> bytes:
    return (head + "<sheetData>" + rows + "</sheetData>").encode()


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>企业名称</t></is></c></row>'
FAR = "<v>1</v></c>"

# Sheets calamine would read as (nearly) the whole grid, each written another way.
TOO_LARGE = {
    "a cell in the last row and column": sheet(HEADER + f'<row r="1048576"><c r="XFD1048576">{FAR}</row>'),
    "cells without a reference go right of the previous one": sheet('<row r="1">' + "<c><v>1</v></c>" * 150 + "</row>"),
    "rows without a reference follow the previous one": sheet(
        HEADER + '<row r="199999"><c r="A199999"><v>1</v></c></row><row><c><v>1</v></c></row><row><c><v>1</v></c></row>'
    ),
    "a cell without a reference in a far row": sheet(HEADER + f'<row r="1048576"><c>{FAR}</row>'),
    "a repeated reference, the last one counts": sheet(HEADER + f'<row r="2"><c r="A2" r="XFD1048576">{FAR}</row>'),
    "a repeated reference after the style": sheet(HEADER + f'<row r="2"><c s="0" r="A2" r="XFD2">{FAR}</row>'),
    "a reference in single quotes": sheet(HEADER + f"<row r=\"2\"><c r='XFD1048576'>{FAR}</row>"),
    "spaces around the equals sign": sheet(HEADER + f'<row r="2"><c r = "XFD1048576">{FAR}</row>'),
    "a reference in lower case": sheet(HEADER + f'<row r="2"><c r="xfd1048576">{FAR}</row>'),
    "a namespace prefix on the cell": sheet(
        HEADER + '<row r="2"><x:c xmlns:x="urn:x" r="XFD1048576"><x:v>1</x:v></x:c></row>'
    ),
    "a > inside a quoted value before the reference": sheet(HEADER + f'<row r="2"><c t="n>" r="XFD9">{FAR}</row>'),
    "a dimension tag that claims one cell": sheet(
        HEADER + f'<row r="900000"><c r="B900000">{FAR}</row>', head='<dimension ref="A1"/>'
    ),
    "a grid larger than the cell limit": sheet(HEADER + f'<row r="150000"><c r="AH150000">{FAR}</row>'),
    "a far row in a narrower column than the header's": sheet(
        '<row r="1"><c r="AB1"><v>1</v></c></row><row r="2"><c r="A999999"><v>1</v></c></row>'
    ),
    "a row far past the last <row> tag": sheet(HEADER + f'<row r="2"><c r="A300000">{FAR}</row>'),
}
# Sheets that look large but hold little: calamine reads them as small grids.
SMALL = {
    "empty cells far away take no room": sheet(HEADER + '<row r="1048576"><c r="XFD1048576" s="1"/></row>'),
    "an empty cell written with its end tag": sheet(HEADER + '<row r="1048576"><c r="XFD1048576"></c></row>'),
    "a dimension tag that claims the whole sheet": sheet(HEADER, head='<dimension ref="A1:XFD1048576"/>'),
    "an empty row far away": sheet(HEADER + '<row r="1048576"/>'),
    "a column past the header's": sheet(f'<row r="1"><c r="B1"><v>1</v></c></row><row r="2"><c r="Z2">{FAR}</row>'),
    "a row past its <row> tag": sheet(HEADER + f'<row r="2"><c r="B150000">{FAR}</row>'),
    "a repeated reference after r, s and t is not read": sheet(
        HEADER + f'<row r="2"><c s="0" r="A2" t="n" r="XFD2">{FAR}</row>'
    ),
    "merged cells over the whole sheet": sheet(HEADER) + b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
    b"</mergeCells>",
    "an ordinary sheet": sheet(
        "".join(
            f'<row r="{r}">' + "".join(f'<c r="{col}{r}" t="n"><v>{r}</v></c>' for col in "ABCDEFGHIJ") + "</row>"
            for r in range(1, 2001)
        )
    ),
}


@pytest.mark.parametrize("name", list(TOO_LARGE))
def test_a_sheet_reaching_past_the_limits_is_refused_however_it_is_written(name):
    with pytest.raises(DomainError) as refused:
        read_table("表.xlsx", raw_xlsx([TOO_LARGE[name]]))
    assert "上限" in refused.value.message and "工作表“Sheet1”" in refused.value.message


@pytest.mark.parametrize("name", list(SMALL))
def test_a_sheet_that_only_looks_large_is_read_and_bounds_what_calamine_reads(name):
    data = raw_xlsx([SMALL[name]])
    read_table("表.xlsx", data)  # not refused
    extent = our_extent(data)
    rows, columns = calamine_extent(data)
    assert extent.rows >= rows and extent.columns >= columns


def test_every_sheet_is_checked_and_named_not_only_the_one_read():
    data = raw_xlsx([sheet(HEADER), TOO_LARGE["a cell in the last row and column"]], names=["数据", "备用"])
    with pytest.raises(DomainError, match="工作表“备用”的数据延伸到第 1,048,576 行"):
        read_table("表.xlsx", data)


def test_a_shared_strings_table_declaring_more_strings_than_cells_is_refused():
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" count="1" uniqueCount="99999999999999"><si><t>a</t></si></sst>'
    )
    data = raw_xlsx([sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')], shared_strings=strings)
    with pytest.raises(DomainError, match="共享文字表声明了 99,999,999,999,999 条文字，超过最多 5,000,000 条的上限"):
        read_table("表.xlsx", data)


def test_parts_of_the_same_name_are_refused():
    data = raw_xlsx([sheet(HEADER)])
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:  # calamine finds parts by name whatever their case
        archive.writestr("XL/worksheets/sheet1.xml", "<worksheet/>")
    with pytest.raises(DomainError, match="重名的内部文件"):
        read_table("表.xlsx", out.getvalue())


def test_an_ordinary_workbook_is_bounded_exactly():
    rows = [["企业名称", "统一社会信用代码", "备注"]] + [[f"企业{i}", f"9121{i:014d}", "一\n二"] for i in range(500)]
    data = xlsx(rows)
    extent = our_extent(data)
    assert (extent.rows, extent.columns) == calamine_extent(data) == (501, 3)


def test_the_limits_are_settings_and_hold_for_csv_too():
    limits = ReadLimits(rows=5, columns=3, cells=12)
    many_rows = csv_bytes([["名称"]] + [[f"企业{i}"] for i in range(10)])
    with pytest.raises(DomainError, match="CSV 文件的数据延伸到第 6 行，超过每个工作表最多 5 行的上限"):
        list(read_table("a.csv", many_rows, limits).rows)
    wide = csv_bytes([["名称"], ["a", "b", "c", "d"]])
    with pytest.raises(DomainError, match="第 4 列（D 列），超过最多 3 列的上限"):
        list(read_table("a.csv", wide, limits).rows)
    grid = csv_bytes([["a", "b", "c"]] * 5)
    with pytest.raises(DomainError, match="共 15 个单元格，超过最多 12 个单元格的上限"):
        list(read_table("a.csv", grid, limits).rows)
    with pytest.raises(DomainError, match="超过每个工作表最多 5 行的上限"):
        read_table("a.xlsx", xlsx([["名称"]] + [[f"企业{i}"] for i in range(10)]), limits)


def test_config_reads_the_limits_from_the_environment(monkeypatch, tmp_path):
    from crm.config import Config

    monkeypatch.setenv("CRM_IMPORT_MAX_ROWS", "1000")
    monkeypatch.setenv("CRM_IMPORT_MAX_COLUMNS", "20")
    monkeypatch.setenv("CRM_IMPORT_MAX_CELLS", "20000")
    config = Config(str(tmp_path))
    assert ReadLimits.from_config(vars(config)) == ReadLimits(1000, 20, 20000)


def test_the_imports_page_refuses_it_for_every_kind_and_the_settings_apply(app, district, session):
    from crm.io.imports import kinds_for
    from crm.models import ImportBatch

    data = whole_sheet_workbook()
    for username in ("admin", "zs", "ly"):
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": "pw-for-tests-123"}).status_code == 302
        for kind in kinds_for(session.scalar(select(User).where(User.username == username))):
            response = client.post(
                "/imports",
                data={"kind": kind.name, "file": (io.BytesIO(data), "整张表.xlsx")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 302, (username, kind.name, response.status_code)
            batch = session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))
            assert batch.status == "invalid" and LIMIT_MESSAGE in batch.report["errors"][0][3]
            session.rollback()
    app.config["IMPORT_MAX_ROWS"] = 2
    try:
        response = client.post(
            "/imports",
            data={
                "kind": "units",
                "file": (
                    io.BytesIO(
                        csv_bytes([["楼宇编码", "楼层", "单元号", "面积"], ["B01", 2, "03", 10], ["B01", 2, "04", 10]])
                    ),
                    "u.csv",
                ),
            },
            content_type="multipart/form-data",
        )
    finally:
        app.config["IMPORT_MAX_ROWS"] = ReadLimits.rows
    batch = session.get(ImportBatch, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert "超过每个工作表最多 2 行的上限" in batch.report["errors"][0][3]


@pytest.mark.parametrize("size", [7, 64, 1000])
def test_the_scan_reads_a_part_in_pieces_without_splitting_a_tag(monkeypatch, size):
    """Pieces far smaller than any tag (a long attribute value, a long text) give the same answers."""
    from crm.io import extent

    long_text = f'<row r="2"><c r="B2" t="inlineStr"><is><t>{"长" * 3000}</t></is></c></row>'
    long_value = f'<row r="3"><c r="C3" t="n" x="{"v" * 3000}"><v>1</v></c></row>'
    cases = {**TOO_LARGE, **SMALL, "long": sheet(HEADER + long_text + long_value)}
    expected = {name: our_extent(raw_xlsx([xml])) for name, xml in cases.items()}
    monkeypatch.setattr(extent, "CHUNK", size)
    assert {name: our_extent(raw_xlsx([xml])) for name, xml in cases.items()} == expected
    assert expected["long"].rows == 3 and expected["long"].columns == 3
