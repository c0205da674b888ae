"""Plan spreadsheets as files: write CSV/XLSX, read them back into the entries graph.

CSV is written as UTF-8 with a byte-order mark (Excel then reads Japanese
correctly) and CRLF line ends; XLSX has the table sheet, with its two header rows
frozen and drop-down lists for the coded columns, and a guide sheet explaining
each column in Japanese and English.  :mod:`kgraph.table.cells` says how formulas
are kept from being evaluated while the round trip stays exact.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..config import Config
from ..dataset import parse_sources
from ..iris import PREFIXES, graph_iri
from ..sources import Source, shipped_sources
from .cells import escape_ooxml, is_formula_like, protect_csv
from .context import PlanContext, build_context
from .errors import CellError, ExportError, TableError, Where
from .export import rows_from_triples, table_cells
from .layout import FIRST_DATA_ROW, FLAG_MARK, GUIDE_SHEET, SHEET, Column
from .model import row_triples
from .parse import parse_grid
from .read import read_csv, read_xlsx

FORMATS = ("csv", "xlsx")
ENTRIES = "entries"

__all__ = [
    "FORMATS",
    "ExportError",
    "TableError",
    "context_for",
    "entries_turtle",
    "export_table",
    "import_table",
    "table_format",
]


def table_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise TableError(
            [
                CellError(
                    Where(Path(path).name),
                    f"表のファイルは .csv か .xlsx です（「.{suffix}」は読めません）。",
                    f"a plan table is a .csv or .xlsx file, not .{suffix}",
                )
            ]
        )
    return suffix


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def export_table(triples: Iterable[ox.Triple], context: PlanContext, fmt: str) -> bytes:
    """The entries graph as a plan table; checked to import back to the same graph."""
    triples = list(dict.fromkeys(triples))
    rows = rows_from_triples(triples, context)
    cols, cells = table_cells(rows, context)
    data = write_csv(cols, cells) if fmt == "csv" else write_xlsx(cols, cells, context)
    back = set(import_table(data, f"export.{fmt}", context))
    if back != set(triples):
        lost = sorted(str(t) for t in set(triples) - back)[:5]
        added = sorted(str(t) for t in back - set(triples))[:5]
        raise ExportError(
            "the table would not import back to the same graph; "
            f"lost: {lost or 'nothing'}; added: {added or 'nothing'}"
        )
    return data


def write_csv(cols: list[Column], cells: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.ja for c in cols])
    writer.writerow([c.en for c in cols])
    for row in cells:
        writer.writerow([protect_csv(text) for text in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def write_xlsx(cols: list[Column], cells: list[list[str]], context: PlanContext) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import IllegalCharacterError
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    bold = Font(bold=True)
    fills = (PatternFill("solid", fgColor="DDEBF7"), PatternFill("solid", fgColor="F2F2F2"))
    for index, column in enumerate(cols, start=1):
        for row, text in ((1, column.ja), (2, column.en)):
            cell = sheet.cell(row, index, text)
            cell.font, cell.fill = bold, fills[row - 1]
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for r, row in enumerate(cells, start=FIRST_DATA_ROW):
        for c, (column, text) in enumerate(zip(cols, row, strict=True), start=1):
            if not text:
                continue
            cell = sheet.cell(r, c)
            try:
                cell.value = escape_ooxml(text)
            except IllegalCharacterError:
                raise ExportError(
                    f"row {r}, column {column.en}: the text holds a control character that "
                    "XLSX cannot store"
                ) from None
            cell.data_type = "s"  # text, never a formula
            if is_formula_like(text) or text.startswith("'"):
                cell.quotePrefix = True
            cell.alignment = wrap if column.wrap else top
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 4)
    last = max(FIRST_DATA_ROW + len(cells) + 200, 300)
    positions = {c.key: i for i, c in enumerate(cols, start=1)}

    def validation(key: str, choices: list[str], ja: str, en: str) -> None:
        if key not in positions or not choices:
            return
        letter = get_column_letter(positions[key])
        rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        rule.error, rule.errorTitle = f"{ja}\n{en}", "kgraph"
        rule.showErrorMessage = True
        rule.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        sheet.add_data_validation(rule)

    validation(
        "policy",
        [str(n) for n in context.policies],
        "計画の施策番号を選んでください。",
        "Choose a policy number of the plan.",
    )
    for flag in context.flags:
        validation(
            f"flag:{flag.slug}", [FLAG_MARK], f"{FLAG_MARK} か空欄です。", f"{FLAG_MARK} or empty."
        )
    _guide(workbook.create_sheet(GUIDE_SHEET), cols, bold, wrap)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GUIDE_NOTES = [
    (
        "1行目は日本語、2行目は英語の見出し。3行目から1行に1事業。",
        "Row 1 holds the Japanese headers, row 2 the English ones; from row 3, one entry per row.",
    ),
    (
        "このシートは説明用で、取り込みでは読みません。",
        "This sheet explains the columns; import ignores it.",
    ),
    (
        "= + - @ で始まる文字は数式にならないよう文字列として保存しています。"
        "数式は取り込めません。",
        "Texts starting with = + - @ are stored as text so that they are never evaluated; "
        "formulas are refused on import.",
    ),
    (
        "CSV では、そうした文字の先頭に ' を1つ付けて書き出し、取り込み時に1つ取り除きます。",
        "In CSV such texts are written with one leading apostrophe ('), which import removes.",
    ),
]


def _guide(sheet, cols: list[Column], bold, wrap) -> None:
    sheet.append(["列（日本語）", "Column (English)", "説明", "Description"])
    for cell in sheet[1]:
        cell.font = bold
    for column in cols:
        sheet.append([column.ja, column.en, column.help_ja, column.help_en])
    sheet.append([])
    for ja, en in GUIDE_NOTES:
        sheet.append(["", "", ja, en])
    for letter, width in zip("ABCD", (26, 26, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


def import_table(data: bytes, filename: str, context: PlanContext) -> list[ox.Triple]:
    """The entries graph a spreadsheet stands for; raises :class:`TableError`."""
    fmt = table_format(filename)
    name = Path(filename).name
    grid = read_csv(data, name) if fmt == "csv" else read_xlsx(data, name)
    rows = parse_grid(grid, context)
    triples: dict[ox.Triple, None] = {}
    for row in rows:
        triples.update(dict.fromkeys(row_triples(row, context)))
    return list(triples)


# ---------------------------------------------------------------------------
# Turtle for data/entries.ttl
# ---------------------------------------------------------------------------

_PREDICATE_ORDER = [
    PREFIXES["rdf"] + "type",
    PREFIXES["kgo"] + "inPlan",
    PREFIXES["kgo"] + "underPolicy",
    PREFIXES["kgo"] + "entryNumber",
    PREFIXES["schema"] + "position",
    PREFIXES["rdfs"] + "label",
]


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text)]


def entries_turtle(triples: Iterable[ox.Triple], base: str) -> bytes:
    """Turtle with relative IRIs and no ``@base``, like the files in ``data/``."""

    def order(t: ox.Triple) -> tuple:
        p = t.predicate.value
        rank = _PREDICATE_ORDER.index(p) if p in _PREDICATE_ORDER else len(_PREDICATE_ORDER)
        return (_natural(t.subject.value), rank, p, str(t.object))

    ordered = sorted(dict.fromkeys(triples), key=order)
    prefixes = {k: PREFIXES[k] for k in ("rdf", "rdfs", "xsd", "kgo", "prov", "schema", "dcterms")}
    text = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")
    header = "# The plan's table of entries (graph/entries), written by kgraph import-table.\n"
    return (header + relative_iris(text, base)).encode("utf-8")


_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|<[^>\s]*>')


def relative_iris(turtle: str, base: str) -> str:
    """Write IRIs under ``base`` relative (``<id/…>``), leaving string literals alone."""
    start = "<" + base

    def fix(match: re.Match) -> str:
        token = match.group(0)
        return "<" + token[len(start) :] if token.startswith(start) else token

    return _TOKENS.sub(fix, turtle)


# ---------------------------------------------------------------------------
# With a config: the dataset around the table
# ---------------------------------------------------------------------------


def other_sources(config: Config, sources: list[Source] | None = None) -> list[Source]:
    """The sources of a dataset except the entries graph."""
    from ..sources import config_sources

    sources = sources if sources is not None else config_sources(config)
    entries = graph_iri(config.base, ENTRIES)
    return [s for s in sources if s.graph != entries]


def context_for(config: Config, sources: list[Source] | None = None) -> PlanContext:
    """The plan context from the dataset's graphs other than the entries graph."""
    return build_context(parse_sources(other_sources(config, sources), config.base), config.base)


def shipped_entries(config: Config) -> list[ox.Triple]:
    """The triples of the shipped entries graph (``data/entries.ttl``)."""
    entries = graph_iri(config.base, ENTRIES)
    sources = [s for s in shipped_sources(config.base) if s.graph == entries]
    return [q.triple for q in parse_sources(sources, config.base)]
