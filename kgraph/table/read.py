"""Reading a CSV or XLSX file into a grid of cell texts, refusing what is unsafe.

CSV must be UTF-8, with or without a byte-order mark.  Any other encoding is
refused with the row and column of the first byte that is not UTF-8 and a hint
(Excel's plain "CSV" is Shift_JIS); nothing is guessed.  Cells are checked by
:mod:`kgraph.table.cells` for formulas and broken characters.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from .cells import broken_text, is_formula_like, unescape_ooxml, unprotect_csv
from .errors import CellError, TableError, Where
from .layout import SHEET


@dataclass
class Grid:
    """The cell texts of one sheet, row by row (row 1 first); ``errors`` found while reading."""

    sheet: str
    rows: list[list[str]]
    errors: list[CellError] = field(default_factory=list)


def _cell_error(sheet: str, row: int, column: int, ja: str, en: str) -> CellError:
    return CellError(Where(sheet, row, column), ja, en)


def _check_cell(grid: Grid, row: int, column: int, text: str) -> None:
    broken = broken_text(text)
    if broken:
        grid.errors.append(_cell_error(grid.sheet, row, column, *broken))


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

BOMS = {
    b"\xef\xbb\xbf": None,
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def read_csv(data: bytes, sheet: str) -> Grid:
    """The grid of a UTF-8 CSV file (BOM optional); other encodings are refused."""
    for bom, name in BOMS.items():
        if data.startswith(bom):
            if name is not None:
                raise TableError(
                    [
                        CellError(
                            Where(sheet),
                            f"ファイルが {name} で保存されています。UTF-8"
                            "（Excel では「CSV UTF-8（コンマ区切り）」）で保存し直してください。",
                            f"the file is saved as {name}; save it as UTF-8 (in Excel: "
                            "'CSV UTF-8 (Comma delimited)') and import it again",
                        )
                    ]
                )
            data = data[len(bom) :]
            break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TableError([_encoding_error(data, error, sheet)]) from None
    grid = Grid(sheet, [])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for r, record in enumerate(reader, start=1):
            cells = []
            for c, raw in enumerate(record, start=1):
                value = raw.replace("\r\n", "\n")
                if is_formula_like(value):
                    grid.errors.append(
                        _cell_error(
                            sheet,
                            r,
                            c,
                            f"「{value[:20]}」は数式として扱われる文字で始まります。"
                            "文字として入れる場合は先頭に ' を付けてください。",
                            f"{value[:20]!r} starts like a formula (= + - @); to enter it as text, "
                            "begin the cell with an apostrophe (')",
                        )
                    )
                value = unprotect_csv(value)
                _check_cell(grid, r, c, value)
                cells.append(value)
            grid.rows.append(cells)
    except csv.Error as error:
        raise TableError(
            [
                _cell_error(
                    sheet,
                    len(grid.rows) + 1,  # the record, not the line: cells hold line breaks
                    0,
                    f"CSV の書式が壊れています（{error}）。",
                    f"the CSV is malformed ({error})",
                )
            ]
        ) from None
    return grid


def _encoding_error(data: bytes, error: UnicodeDecodeError, sheet: str) -> CellError:
    """Where the first non-UTF-8 byte is, by row and column, with a hint."""
    prefix = data[: error.start].decode("utf-8")
    marker = "\ue000"
    records = list(csv.reader(io.StringIO(prefix + marker, newline="")))
    row, column = len(records), len(records[-1]) if records else 1
    for r, record in enumerate(records, start=1):
        for c, value in enumerate(record, start=1):
            if marker in value:
                row, column = r, c
    bad = data[error.start : error.start + 4].hex(" ")
    header = records[0][column - 1] if records and row > 1 and column <= len(records[0]) else None
    hint_ja = hint_en = ""
    try:
        data.decode("cp932")
        hint_ja = "Shift_JIS（Excel の「CSV（コンマ区切り）」）で保存されているようです。"
        hint_en = " It looks like Shift_JIS (Excel's 'CSV (Comma delimited)')."
    except UnicodeDecodeError:
        pass
    return CellError(
        Where(sheet, row, column, header),
        f"UTF-8 ではない文字があります（バイト {bad}）。{hint_ja}"
        "「CSV UTF-8（コンマ区切り）」で保存し直してください。推測で読み替えることはしません。",
        f"the file is not UTF-8 here (bytes {bad}).{hint_en} Save it as 'CSV UTF-8 "
        "(Comma delimited)' and import it again; the encoding is not guessed.",
    )


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def read_xlsx(data: bytes, filename: str) -> Grid:
    """The grid of the table sheet (``事業一覧``, else the first sheet) of a workbook."""
    from openpyxl import load_workbook

    _check_unpacked_size(data, filename)
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as error:  # zip, XML or OOXML errors: all mean "cannot read"
        located = _locate_bad_xml(data)
        if located:
            raise TableError(located) from None
        if _refused_xml(error):
            raise TableError([CellError(
                Where(filename),
                "ブックの XML が実体（エンティティ）を宣言しているか外部を参照しているため、"
                "読みません。",
                "the workbook's XML declares entities or refers to outside documents, "
                "which are refused",
            )]) from None
        reason = str(error).splitlines()[0] if str(error) else "the archive is damaged"
        raise TableError(
            [
                CellError(
                    Where(filename),
                    f"XLSX ブックとして読めません（{reason}）。",
                    f"not a readable XLSX workbook ({reason})",
                )
            ]
        ) from None
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    grid = Grid(sheet.title, [])
    for r, row in enumerate(sheet.iter_rows(), start=1):
        cells = []
        for c, cell in enumerate(row, start=1):
            cells.append(_xlsx_text(grid, r, c, cell))
        grid.rows.append(cells)
    return grid


def _refused_xml(error: BaseException | None) -> bool:
    """Whether defusedxml (which openpyxl reads XML with) refused entities or a DTD."""
    from defusedxml import DefusedXmlException

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DefusedXmlException):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


#: A plan table is a few hundred kilobytes unpacked; refuse archives that unpack to far more.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def _check_unpacked_size(data: bytes, filename: str) -> None:
    """Refuse a workbook whose parts unpack to more than :data:`MAX_UNPACKED_BYTES`."""
    try:
        size = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:
        return  # load_workbook says what is wrong with it
    if size > MAX_UNPACKED_BYTES:
        mb = MAX_UNPACKED_BYTES // (1024 * 1024)
        raise TableError(
            [
                CellError(
                    Where(filename),
                    f"ブックを展開すると {size // (1024 * 1024)} MB になり、"
                    f"上限 {mb} MB を超えます。",
                    f"the workbook unpacks to {size // (1024 * 1024)} MB, more than the "
                    f"{mb} MB a plan table may have",
                )
            ]
        )


def _xlsx_text(grid: Grid, r: int, c: int, cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if cell.data_type == "f" or value.__class__.__name__ in ("ArrayFormula", "DataTableFormula"):
        grid.errors.append(
            _cell_error(
                grid.sheet,
                r,
                c,
                "数式が入っています。計算結果ではなく文字を入力してください。",
                "the cell holds a formula; enter the text itself, not a formula",
            )
        )
        return ""
    if isinstance(value, bool):
        grid.errors.append(
            _cell_error(
                grid.sheet,
                r,
                c,
                "真偽値ではなく文字を入力してください。",
                "expected text, found TRUE/FALSE",
            )
        )
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if not isinstance(value, str):
        grid.errors.append(
            _cell_error(
                grid.sheet,
                r,
                c,
                f"日付などに変換されています（{value}）。セルの書式を「文字列」にして入力し直してください。",
                f"the spreadsheet turned this into a {value.__class__.__name__} ({value}); "
                "format the cell as Text and enter it again",
            )
        )
        return ""
    text = unescape_ooxml(value).replace("\r\n", "\n")
    _check_cell(grid, r, c, text)
    return text


_ILLEGAL_REF = re.compile(rb"&#(x[0-9A-Fa-f]+|[0-9]+);")


def _illegal(ref: bytes) -> bool:
    code = int(ref[1:], 16) if ref.startswith(b"x") else int(ref)
    return (
        (code < 0x20 and code not in (0x9, 0xA, 0xD))
        or 0xD800 <= code <= 0xDFFF
        or code
        in (
            0xFFFE,
            0xFFFF,
        )
    )


def _locate_bad_xml(data: bytes) -> list[CellError]:
    """Cells whose XML holds characters XML forbids (the workbook cannot be parsed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return []
    errors: list[CellError] = []
    bad_strings: set[int] = set()
    if "xl/sharedStrings.xml" in archive.namelist():
        strings = archive.read("xl/sharedStrings.xml")
        for index, item in enumerate(re.findall(rb"<si>(.*?)</si>", strings, re.S)):
            if any(_illegal(m) for m in _ILLEGAL_REF.findall(item)):
                bad_strings.add(index)
    for name in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")):
        xml = archive.read(name)
        for match in re.finditer(rb'<c r="([A-Z]+)([0-9]+)"([^>]*)>(.*?)</c>', xml, re.S):
            body, attrs = match.group(4), match.group(3)
            bad = any(_illegal(m) for m in _ILLEGAL_REF.findall(body))
            if not bad and b't="s"' in attrs:
                value = re.search(rb"<v>([0-9]+)</v>", body)
                bad = bool(value) and int(value.group(1)) in bad_strings
            if bad:
                from openpyxl.utils import column_index_from_string

                errors.append(
                    CellError(
                        Where(
                            SHEET,
                            int(match.group(2)),
                            column_index_from_string(match.group(1).decode()),
                        ),
                        "XML で使えない制御文字を含むため、ブックを読めません。",
                        "it holds a control character XML forbids, so the workbook cannot be read",
                    )
                )
    return errors
