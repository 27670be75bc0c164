"""What an uploaded file really is, and whether it is safe to open.

The extension must agree with the content: a .csv or .pdf renamed .xlsx is refused, as are the
old binary .xls and macro-enabled .xlsm workbooks. Before any XML inside an .xlsx is parsed, the
zip directory is checked for a zip bomb (declared uncompressed size, compression ratio, number of
parts) and for two parts of one name, and each XML part's prolog is run through defusedxml, so a DOCTYPE or entity declaration
(billion laughs, external entities) is refused before a reader could expand it.
"""

from __future__ import annotations

import io
import os
import re
import zipfile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from xml.etree.ElementTree import ParseError

from crm.services.errors import DomainError

# An ordinary 100,000-row sheet unpacks to ~40 MB at a ratio of ~15; a zip bomb declares
# gigabytes at ratios in the thousands.
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_RATIO = 200
MAX_PARTS = 2000
PROLOG_LIMIT = 64 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled"
ROOT_START = re.compile(rb"<[A-Za-z_]")

SUPPORTED = "请上传 .xlsx 或 .csv 文件"


def file_format(filename: str, data: bytes) -> str:
    """'xlsx' or 'csv' for a file whose name and content agree; otherwise DomainError."""
    ext = os.path.splitext(filename or "")[1].lower()
    if not data:
        raise DomainError("文件是空的（0 字节），请检查后重新上传", field="file")
    if ext == ".xls" or data.startswith(OLE_MAGIC):
        raise DomainError("不支持旧版 Excel 97-2003（.xls）文件：请在 Excel 中另存为 .xlsx 后再上传", field="file")
    if ext == ".xlsm":
        raise DomainError("不接受含宏的工作簿（.xlsm）：请另存为 .xlsx（不含宏）后再上传", field="file")
    if ext == ".xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise DomainError(f"文件扩展名是 .xlsx，但内容不是 Excel 工作簿（{describe(data)}）", field="file")
        check_workbook_zip(data)
        return "xlsx"
    if ext == ".csv":
        if data.startswith(ZIP_MAGIC) or data.startswith(b"%PDF") or b"\x00" in data[:4096]:
            raise DomainError(f"文件扩展名是 .csv，但内容不是文本表格（{describe(data)}）", field="file")
        return "csv"
    raise DomainError(f"不支持的文件类型“{ext or '无扩展名'}”：{SUPPORTED}", field="file")


def describe(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "看起来是 PDF 文件"
    if data.startswith(OLE_MAGIC):
        return "看起来是旧版 Office 文件"
    if data.startswith(ZIP_MAGIC):
        return "看起来是压缩包"
    if b"\x00" in data[:4096]:
        return "看起来是二进制文件"
    return "看起来是文本文件，可能是改了扩展名的 CSV"


def check_workbook_zip(data: bytes) -> None:
    """Refuse a zip that is not a plain workbook, or that would unpack into too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DomainError("文件已损坏，无法作为 .xlsx 工作簿打开", field="file") from None
    with archive:
        parts = archive.infolist()
        names = {info.filename for info in parts}
        if len({name.replace("\\", "/").lower() for name in names}) < len(parts):
            # Readers look parts up by name, some ignoring case: two parts of one name could let a
            # check read one and the reader the other.
            raise DomainError(
                "工作簿中有重名的内部文件，文件可能已损坏或被篡改：请在 Excel 中另存为新的 .xlsx 后再上传", field="file"
            )
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise DomainError(
                "文件扩展名是 .xlsx，但压缩包里没有 Excel 工作簿（可能是其他压缩文件改了扩展名）", field="file"
            )
        check_sizes(parts)
        for info in parts:
            if info.filename.endswith((".xml", ".rels")):
                check_xml_prolog(archive, info)
        if MACRO_CONTENT_TYPE in archive.read("[Content_Types].xml"):
            raise DomainError("文件含有宏（实为 .xlsm）：请另存为不含宏的 .xlsx 后再上传", field="file")


def check_sizes(parts: list[zipfile.ZipInfo]) -> None:
    if len(parts) > MAX_PARTS:
        raise DomainError(f"工作簿内部文件过多（{len(parts)} 个），已拒绝以防压缩炸弹", field="file")
    total = sum(info.file_size for info in parts)
    if total > MAX_UNCOMPRESSED:
        raise DomainError(
            f"工作簿解压后将达 {total / 1024 / 1024:,.0f} MB，超过上限 {MAX_UNCOMPRESSED // 1024 // 1024} MB，"
            "已拒绝以防压缩炸弹",
            field="file",
        )
    for info in parts:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DomainError(
                f"工作簿中的“{info.filename}”压缩比异常（{info.file_size // max(info.compress_size, 1):,} 倍），"
                "已拒绝以防压缩炸弹",
                field="file",
            )


def check_xml_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Parse the part's prolog (everything before the root element) with defusedxml.

    A DTD may only appear in the prolog, so checking it is enough and costs a few bytes per part
    instead of parsing a 40 MB sheet twice.
    """
    with archive.open(info) as stream:
        head = b""
        while len(head) < PROLOG_LIMIT:
            chunk = stream.read(4096)
            if not chunk:
                break
            head += chunk
            match = ROOT_START.search(head)
            if match and b"<!" not in head[: match.start()].replace(b"<!--", b""):
                return  # no declarations before the root element: nothing to defuse
            if match:
                break
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DomainError(f"工作簿中的“{info.filename}”使用了不支持的编码", field="file")
    match = ROOT_START.search(head)
    if match is None:
        raise DomainError(f"工作簿中的“{info.filename}”不是有效的 XML（声明部分过长或缺少根元素）", field="file")
    try:
        defused_fromstring(head[: match.start()] + b"<x/>", forbid_dtd=True)
    except DefusedXmlException:
        raise DomainError(
            f"工作簿中的“{info.filename}”含有 DTD 或实体声明（可能是 XML 实体攻击），已拒绝", field="file"
        ) from None
    except ParseError:
        raise DomainError(f"工作簿中的“{info.filename}”不是有效的 XML", field="file") from None
