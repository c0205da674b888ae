"""From a grid of cell texts to table rows, with an error for every bad cell.

Every reference is checked against the plan (:class:`~kgraph.table.context.PlanContext`):
an unknown policy, leading project, department, source passage or re-listed entry is
refused, never minted.  All problems are collected, so one import shows them all.
"""

from __future__ import annotations

import re
import unicodedata

import pyoxigraph as ox

from ..iris import slugify
from .context import PlanContext
from .errors import CellError, TableError, Where
from .layout import FIRST_DATA_ROW, FLAG_MARK, HEADER_ROWS, MAIN, SUB, columns
from .model import EntryRow, Item, Programme, programme_iri_for
from .read import Grid
from .statements import read_statements

REQUIRED = ("number", "policy")
PJ_CODE = re.compile(r"PJ[0-9]+")
PROGRAMME_ID = re.compile(r"(?:[a-z0-9]+(?:-[a-z0-9]+)*/)?[a-z0-9]+(?:-[a-z0-9]+)*")
URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _known(values, limit: int = 12) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:limit]) + (" …" if len(values) > limit else "")
    return shown or "—"


class _Row:
    """Cell access for one data row, recording errors at the right place."""

    def __init__(self, parser: TableParser, number: int, cells: list[str]) -> None:
        self.parser, self.number, self.cells = parser, number, cells

    def text(self, key: str) -> str:
        index = self.parser.positions.get(key)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]

    def error(self, key: str, ja: str, en: str) -> None:
        self.parser.error(self.number, key, ja, en)


class TableParser:
    """Reads the rows of a plan table grid; ``errors`` lists every problem found."""

    def __init__(self, grid: Grid, context: PlanContext) -> None:
        self.grid, self.context = grid, context
        self.columns = columns(context)
        self.by_key = {c.key: c for c in self.columns}
        self.positions: dict[str, int] = {}
        self.headers: dict[int, str] = {}
        self.errors: list[CellError] = list(grid.errors)

    # -- errors ---------------------------------------------------------------

    def where(self, row: int, key: str | None = None, column: int | None = None) -> Where:
        if key is not None and key in self.positions:
            column = self.positions[key] + 1
        if key is None and column is not None and row > 1:
            key = next((k for k, i in self.positions.items() if i == column - 1), None)
        col = self.by_key.get(key) if key else None
        header = self.headers.get(column - 1) if column else None
        return Where(
            self.grid.sheet,
            row,
            column,
            header or (col.ja if col else None),
            col.en if col else None,
        )

    def error(self, row: int, key: str | None, ja: str, en: str, column: int | None = None) -> None:
        self.errors.append(CellError(self.where(row, key, column), ja, en))

    # -- headers --------------------------------------------------------------

    def read_headers(self) -> bool:
        rows = self.grid.rows
        if len(rows) < HEADER_ROWS:
            self.error(
                1,
                None,
                "見出し行（1行目：日本語、2行目：英語）がありません。",
                "the header rows are missing (row 1: Japanese, row 2: English)",
            )
            return False
        names: dict[str, str] = {}
        for column in self.columns:
            names.setdefault(_nfkc(column.ja), column.key)
            names.setdefault(_nfkc(column.en), column.key)
        for flag in self.context.flags:
            for other in (*flag.labels.values(), *flag.other_labels, flag.slug):
                names.setdefault(_nfkc(other), f"flag:{flag.slug}")
        names.setdefault("事業内容", "activities")
        width = max(len(rows[0]), len(rows[1]))
        for index in range(width):
            ja = rows[0][index] if index < len(rows[0]) else ""
            en = rows[1][index] if index < len(rows[1]) else ""
            self.headers[index] = ja.strip() or en.strip()
            key = names.get(_nfkc(ja)) or names.get(_nfkc(en))
            if key is None:
                if not ja.strip() and not en.strip():
                    if any(index < len(r) and r[index].strip() for r in rows[HEADER_ROWS:]):
                        self.error(
                            1,
                            None,
                            "データがある列に見出しがありません。",
                            "this column holds data but has no header",
                            column=index + 1,
                        )
                    continue
                known = _known([c.ja for c in self.columns], 40)
                self.error(
                    1,
                    None,
                    f"見出し「{ja or en}」は表の列ではありません（列：{known}）。",
                    f"{ja or en!r} is not a column of the plan table (columns: {known})",
                    column=index + 1,
                )
                continue
            if key in self.positions:
                first = self.positions[key] + 1
                self.error(
                    1,
                    None,
                    f"同じ列が2回あります（{first}列目と同じ）。",
                    f"this column appears twice (also column {first})",
                    column=index + 1,
                )
                continue
            self.positions[key] = index
        for key in REQUIRED:
            if key not in self.positions:
                column = self.by_key[key]
                self.error(
                    1,
                    None,
                    f"必要な列「{column.ja}」がありません。",
                    f"the required column {column.ja} ({column.en}) is missing",
                )
        return all(key in self.positions for key in REQUIRED)

    # -- rows -----------------------------------------------------------------

    def parse(self) -> list[EntryRow]:
        """The rows; raises :class:`TableError` listing every problem."""
        rows: list[EntryRow] = []
        headers_read = self.read_headers()
        # problems found while reading cells get the column's header now that it is known
        self.errors = [
            CellError(self.where(e.where.row, None, e.where.column), e.ja, e.en)
            if e in self.grid.errors and e.where.row and e.where.column
            else e
            for e in self.errors
        ]
        if headers_read:
            first_row: dict[str, int] = {}
            programmes: dict[str, tuple[dict[str, str], int]] = {}
            relistings: list[tuple[_Row, str]] = []
            for number, cells in enumerate(self.grid.rows[HEADER_ROWS:], start=FIRST_DATA_ROW):
                if not any(c.strip() for c in cells):
                    continue
                row = _Row(self, number, cells)
                parsed = self.parse_row(row, programmes, relistings)
                if parsed is None:
                    continue
                if parsed.number in first_row:
                    other = first_row[parsed.number]
                    row.error(
                        "number",
                        f"事業No.{parsed.number} が重複しています（{other}行目と同じ）。",
                        f"entry No. {parsed.number} appears twice (also on row {other})",
                    )
                    continue
                first_row[parsed.number] = number
                rows.append(parsed)
            known = set(first_row) | set(self.context.entries_elsewhere.values())
            known_numbers = {n.zfill(3) for n in known if n.isdigit()}
            for row, original in relistings:
                if original not in known_numbers:
                    row.error(
                        "relisting",
                        f"再掲元の事業No.{original} は計画にありません。",
                        f"entry No. {original} (the re-listed original) is not in the plan",
                    )
        if self.errors:
            self.errors.sort(key=lambda e: (e.where.row or 0, e.where.column or 0))
            raise TableError(self.errors)
        return rows

    def parse_row(self, row: _Row, programmes, relistings) -> EntryRow | None:
        number = self.entry_number(row)
        entry = EntryRow(number=number or "000")
        entry.policy = self.policy(row)
        entry.labels = self.texts(row, "label", "label_en")
        entry.overview = self.texts(row, "overview", "overview_en")
        entry.programme = self.programme(row, programmes)
        entry.activities = self.activities(row)
        entry.leading_projects = self.leading_projects(row)
        entry.flags = self.flags(row)
        entry.relisting = self.numbers(row, "relisting")
        relistings.extend((row, n) for n in entry.relisting)
        entry.departments = self.departments(row)
        entry.sources = self.references(
            row,
            "sources",
            self.context.source_root,
            self.context.passages,
            "出典箇所",
            "source passage",
        )
        entry.normalisations = self.references(
            row,
            "normalisations",
            self.context.normalisation_root,
            self.context.normalisations,
            "正規化",
            "normalisation",
        )
        entry.item_normalisations = self.references(
            row,
            "item_normalisations",
            self.context.normalisation_root,
            self.context.normalisations,
            "正規化",
            "normalisation",
        )
        entry.external = self.urls(row)
        entry.other = self.other(row)
        return entry if number else None

    def entry_number(self, row: _Row) -> str | None:
        text = _nfkc(row.text("number"))
        if not text:
            row.error(
                "number",
                "事業No. が空欄です。どの行にも事業番号が必要です。",
                "the entry number is empty; every row needs one",
            )
            return None
        if not text.isdigit() or int(text) == 0:
            row.error(
                "number",
                f"「{text}」は事業番号ではありません。055 のような数字を入力してください。",
                f"{text!r} is not an entry number; enter digits such as 055",
            )
            return None
        return text.zfill(3)

    def policy(self, row: _Row) -> int | None:
        text = _nfkc(row.text("policy"))
        known = _known(self.context.policies)
        if not text:
            row.error(
                "policy",
                f"施策No. が空欄です（計画の施策：{known}）。",
                f"the policy number is empty (policies of the plan: {known})",
            )
            return None
        if not text.isdigit() or int(text) not in self.context.policies:
            row.error(
                "policy",
                f"施策No.「{text}」は計画にありません（計画の施策：{known}）。",
                f"policy {text!r} is not a policy of the plan (known: {known})",
            )
            return None
        number = int(text)
        name = row.text("policy_name").strip()
        policy = self.context.policies[number]
        if name and name not in policy.labels.values() and name not in policy.other_labels:
            row.error(
                "policy_name",
                f"この列は参照用です。施策No.{number} の名称は「{policy.label('ja')}」です"
                "（施策の名称は data/plan.ttl で変更します）。",
                f"this column is for reference; policy {number} is named "
                f"{policy.label('ja')!r} (policy names are edited in data/plan.ttl)",
            )
        return number

    def texts(self, row: _Row, ja_key: str, en_key: str) -> dict[str, str]:
        out = {}
        for lang, key in (("ja", ja_key), ("en", en_key)):
            text = row.text(key)
            if text.strip():
                out[lang] = text
        return out

    def programme(self, row: _Row, programmes) -> Programme | None:
        labels = self.texts(row, "programme", "programme_en")
        given = _nfkc(row.text("programme_id"))
        if not labels and not given:
            return None
        if given:
            if not PROGRAMME_ID.fullmatch(given):
                row.error(
                    "programme_id",
                    f"「{given}」は事務事業IDの書式ではありません（例：kawasaki/global-warming-countermeasures-programme）。",
                    f"{given!r} is not a programme ID (lower-case letters, digits and hyphens, "
                    "e.g. kawasaki/global-warming-countermeasures-programme)",
                )
                return None
            programme_id = given
        elif "en" in labels:
            try:
                programme_id = f"{self.context.municipality}/{slugify(labels['en'])}"
            except ValueError:
                row.error(
                    "programme_en",
                    "英語名から ID を作れません。事務事業ID を入力してください。",
                    "cannot make an ID from this English name; fill in the programme ID",
                )
                return None
        else:
            row.error(
                "programme_id",
                "事務事業の ID がありません。事務事業ID か英語名を入力してください。",
                "the programme has no ID: fill in the programme ID or its English name",
            )
            return None
        iri = programme_iri_for(self.context, programme_id)
        seen = programmes.get(iri)
        if seen is None:
            programmes[iri] = (labels, row.number)
        elif seen[0] != labels:
            row.error(
                "programme",
                f"同じ事務事業（{programme_id}）の名称が {seen[1]}行目と違います。",
                f"the same programme ({programme_id}) is named differently on row {seen[1]}",
            )
        return Programme(iri, labels)

    def activities(self, row: _Row) -> list[Item]:
        ja = self.items(row, "activities", "ja")
        en = self.items(row, "activities_en", "en")
        if ja is None or en is None:
            return []
        if not en:
            return ja
        if not ja:
            return en
        if [len(i.subs) for i in ja] != [len(i.subs) for i in en]:
            row.error(
                "activities_en",
                "英語の事業内容の●・の並びが日本語の列と違います"
                f"（日本語：●{len(ja)}件・{sum(len(i.subs) for i in ja)}件、"
                f"英語：●{len(en)}件・{sum(len(i.subs) for i in en)}件）。",
                "the English activities do not have the same ● and ・ items as the Japanese "
                f"ones (Japanese: {len(ja)} ●, {sum(len(i.subs) for i in ja)} ・; "
                f"English: {len(en)} ●, {sum(len(i.subs) for i in en)} ・)",
            )
            return ja
        for mine, theirs in zip(ja, en, strict=True):
            mine.labels.update(theirs.labels)
            for sub, other in zip(mine.subs, theirs.subs, strict=True):
                sub.labels.update(other.labels)
        return ja

    def items(self, row: _Row, key: str, lang: str) -> list[Item] | None:
        items: list[Item] = []
        for n, line in enumerate(row.text(key).split("\n"), start=1):
            if not line.strip():
                continue
            marker, text = unicodedata.normalize("NFKC", line[0]), line[1:].strip()
            if marker == MAIN:
                items.append(Item({lang: text} if text else {}))
            elif marker == SUB:
                if not items:
                    row.error(
                        key,
                        f"{n}行目の細目（・）が、主な事業内容（●）より前にあります。",
                        f"line {n}: a sub-item (・) comes before any main item (●)",
                    )
                    return None
                items[-1].subs.append(Item({lang: text} if text else {}))
            else:
                row.error(
                    key,
                    f"{n}行目「{line[:20]}」が ● か ・ で始まっていません。1行に1項目、"
                    "●（主な事業内容）か ・（その細目）で始めてください。",
                    f"line {n} ({line[:20]!r}) does not begin with ● or ・: one item per "
                    "line, ● for an activity, ・ for a sub-item",
                )
                return None
        return items

    def leading_projects(self, row: _Row) -> list[str]:
        codes = []
        known = _known(self.context.leading_projects)
        for line in _lines(row.text("pj")):
            code = _nfkc(line)
            if not PJ_CODE.fullmatch(code):
                row.error(
                    "pj",
                    f"「{line}」はリーディングプロジェクトの記号ではありません。"
                    f"PJ2 のように「PJ」と数字を続けて入力してください（計画の記号：{known}）。",
                    f"{line!r} is not a leading project code; expected PJ followed by a "
                    f"number, such as PJ2 (codes of the plan: {known})",
                )
            elif code not in self.context.leading_projects:
                row.error(
                    "pj",
                    f"リーディングプロジェクト {code} は計画にありません（計画の記号：{known}）。",
                    f"leading project {code} is not in the plan (known: {known})",
                )
            elif code not in codes:
                codes.append(code)
        return sorted(codes, key=list(self.context.leading_projects).index)

    def flags(self, row: _Row) -> list[str]:
        flags = []
        for flag in self.context.flags:
            key = f"flag:{flag.slug}"
            text = _nfkc(row.text(key))
            if text == FLAG_MARK:
                flags.append(flag.slug)
            elif text:
                row.error(
                    key,
                    f"「{text}」ではなく {FLAG_MARK} か空欄にしてください。",
                    f"expected {FLAG_MARK} or nothing, found {text!r}",
                )
        return flags

    def numbers(self, row: _Row, key: str) -> list[str]:
        out = []
        for line in _lines(row.text(key)):
            text = _nfkc(line)
            if not text.isdigit():
                row.error(
                    key,
                    f"「{line}」は事業番号ではありません（例：038）。",
                    f"{line!r} is not an entry number (e.g. 038)",
                )
            elif text.zfill(3) not in out:
                out.append(text.zfill(3))
        return out

    def departments(self, row: _Row) -> list[str]:
        out = []
        base = self.context.base
        for line in _lines(row.text("departments")):
            iri = self.context.organisation_by_name(line)
            if iri is None and line.startswith("id/") and base + line in self.context.organisations:
                iri = base + line
            if iri is None:
                known = _known(
                    sorted(o.label("ja") for o in self.context.organisations.values()), 8
                )
                row.error(
                    "departments",
                    f"「{line}」という組織は組織データにありません（例：{known}）。",
                    f"no organisation is named {line!r} in the organisation data (e.g. {known})",
                )
            elif iri not in out:
                out.append(iri)
        return out

    def references(
        self, row: _Row, key: str, root: str, known: set[str], what_ja: str, what_en: str
    ) -> list[str]:
        out = []
        for line in _lines(row.text(key)):
            iri = root + line
            if iri not in known:
                example = _known(sorted(k[len(root) :] for k in known if k.startswith(root)), 3)
                row.error(
                    key,
                    f"{what_ja}「{line}」はデータにありません（例：{example}）。",
                    f"there is no {what_en} {line!r} in the data (e.g. {example})",
                )
            elif iri not in out:
                out.append(iri)
        return out

    def urls(self, row: _Row) -> list[str]:
        out = []
        for line in _lines(row.text("external")):
            if not URL.fullmatch(line):
                row.error(
                    "external",
                    f"「{line}」は http(s) の URL ではありません。",
                    f"{line!r} is not an http(s) URL",
                )
            elif line not in out:
                out.append(line)
        return out

    def other(self, row: _Row) -> list[ox.Triple]:
        text = row.text("other")
        if not text.strip():
            return []
        try:
            triples = read_statements(text, self.context.base)
        except SyntaxError as error:
            line = f"{error.lineno}行目：" if error.lineno else ""
            line_en = f"line {error.lineno}: " if error.lineno else ""
            row.error(
                "other",
                f"{line}Turtle として読めません（{error.msg}）。",
                f"{line_en}not valid Turtle ({error.msg})",
            )
            return []
        for triple in triples:
            if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                row.error(
                    "other",
                    "空白ノード（[ ] や _:）は使えません。IRI で書いてください。",
                    "blank nodes ([ ] or _:) are not allowed; use IRIs",
                )
                return []
        return triples


def parse_grid(grid: Grid, context: PlanContext) -> list[EntryRow]:
    """The rows of a grid; raises :class:`TableError` with every problem found."""
    return TableParser(grid, context).parse()
