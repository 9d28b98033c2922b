"""Reading the billing system's register file (CSV or XLSX) into rows of the register's columns.

Columns are found by their header, English or Chinese (account/户号, name/姓名, phone/电话,
other_phones/其他电话, district/小区, building/楼号, unit/单元, room/房号, address/地址,
heated_area/供暖面积, meter_no/表号, service/服务, no_sms/不发短信, language/语言); other columns are
ignored. A CSV is UTF-8 (with or
without a byte-order mark) or GB18030, what spreadsheet programs on Chinese systems write. XLSX is read
with calamine (python-calamine), which reads 100,000 rows in about a second where openpyxl took half a
minute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from python_calamine import CalamineError, CalamineWorkbook

from engine.errors import HotlineError
from engine.messages import N_, say

HEADERS = {
    "account": ("account", "account_no", "户号", "账号"),
    "name": ("name", "姓名", "户名"),
    "phone": ("phone", "电话", "手机"),
    "other_phones": ("other_phones", "phone2", "其他电话"),
    "district": ("district", "小区"),
    "building": ("building", "楼号", "楼栋"),
    "unit": ("unit", "单元"),
    "room": ("room", "房号", "室"),
    "address": ("address", "地址"),
    "heated_area": ("heated_area", "供暖面积", "面积"),
    "meter_no": ("meter_no", "meter", "表号"),
    "service": ("service", "服务", "业务"),
    "no_sms": ("no_sms", "no sms", "不发短信", "免短信", "拒收短信"),
    "language": ("language", "语言", "消息语言"),
}
SUFFIXES = (".csv", ".txt", ".xlsx")
# The largest register file taken (a 100,000-customer CSV is about 8 MB, an XLSX about 4 MB).
IMPORT_LIMIT_MB = 30
_ZIP_MAGIC = b"PK\x03\x04"

Row = tuple[int, dict[str, str]]


class ImportRefused(HotlineError):
    """The file as a whole cannot be read; the code says why (`say()` in any language)."""

    code = "import_refused"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "import_wrong_kind": N_("%(name)s: only .csv and .xlsx files can be imported"),
        "import_empty": N_("the file is empty"),
        "import_not_xlsx": N_("the file is not an XLSX spreadsheet"),
        "import_damaged": N_("the spreadsheet cannot be read (%(error)s)"),
        "import_not_text": N_("the file is not CSV text (UTF-8 or GB18030)"),
        "import_no_account": N_("the header has no account column (account / 户号)"),
        "import_too_large": N_("the file is larger than %(limit)s MB"),
        "import_bad_csv": N_("line %(line)s cannot be read as CSV (%(error)s)"),
    }

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(say(self.TEMPLATES[code], params), code=code, params=params)


def read_rows(path: Path) -> Iterator[Row]:
    """(line number, {column: text}) for each row after the header, of a .csv or .xlsx file."""
    if path.suffix.lower() not in SUFFIXES:
        raise ImportRefused("import_wrong_kind", name=path.name)
    return rows_of(path.name, path.read_bytes())


def rows_of(name: str, content: bytes) -> Iterator[Row]:
    """The rows of an uploaded file's content; its name's suffix says whether it is CSV or XLSX.

    The header is checked before this returns, so a refused file is refused at once."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused("import_wrong_kind", name=name)
    if len(content) > IMPORT_LIMIT_MB * 1024 * 1024:
        raise ImportRefused("import_too_large", limit=IMPORT_LIMIT_MB)
    if not content.strip():
        raise ImportRefused("import_empty")
    cells: Iterable[list[Any]] = (
        _spreadsheet_cells(content) if suffix == ".xlsx" else _csv_rows(_text_of(content))
    )
    iterator = iter(cells)
    header = next(iterator, None)
    if header is None:
        raise ImportRefused("import_empty")
    where = _columns(header)
    return _named(iterator, where)


def _spreadsheet_cells(content: bytes) -> list[list[Any]]:
    if not content.startswith(_ZIP_MAGIC):
        raise ImportRefused("import_not_xlsx")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        try:
            # The empty rows above the data are kept: line numbers are the spreadsheet's.
            return book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        finally:
            book.close()
    except (CalamineError, ValueError, IndexError) as damaged:
        raise ImportRefused("import_damaged", error=str(damaged)[:200]) from None


def _text_of(content: bytes) -> str:
    if b"\x00" in content[:4096] or content.startswith(_ZIP_MAGIC):
        raise ImportRefused("import_not_text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused("import_not_text")


def _csv_rows(text: str) -> Iterator[list[str]]:
    """The CSV's rows; a line the reader refuses (a field over its 128 KB limit, say) refuses the file,
    also when it is met while the rows are imported."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as err:
        raise ImportRefused("import_bad_csv", line=reader.line_num, error=str(err)[:200]) from None


def _columns(header: list[Any]) -> dict[str, int]:
    names = [str(h).strip().lower() for h in header]
    where = {
        key: names.index(alias) for key, aliases in HEADERS.items() for alias in aliases if alias in names
    }
    if "account" not in where:
        raise ImportRefused("import_no_account")
    return where


def _named(rows: Iterable[list[Any]], where: dict[str, int]) -> Iterator[Row]:
    for number, row in enumerate(rows, start=2):
        if not any(str(cell).strip() for cell in row):
            continue
        yield number, {key: _text(row[i]) if i < len(row) else "" for key, i in where.items()}


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a spreadsheet's number column: 12.0 is the account "12"
    return str(cell).strip()
