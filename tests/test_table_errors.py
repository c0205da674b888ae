"""Spreadsheets with the mistakes people make are refused, cell by cell, and nothing changes.

Every message names the sheet, the row and the column (letter and header), in
Japanese and English.  The last tests run ``kgraph import-table --apply --store DIR``
as a subprocess on a store holding the shipped data and check that its ``current``
snapshot and its quads are exactly as before.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from openpyxl.utils import get_column_letter
from support.hostile import kgraph as run_kgraph

from kgraph.config import PROJECT_ROOT, Config
from kgraph.snapshots import SnapshotStore
from kgraph.table.errors import TableError
from kgraph.table.files import context_for, export_table, import_table, shipped_entries

BASE = "http://localhost:8000/"


@pytest.fixture(scope="module")
def shipped():
    config = Config(base=BASE)
    return shipped_entries(config), context_for(config)


@pytest.fixture(scope="module")
def rows(shipped):
    """The shipped table as CSV rows (row 1 and 2 headers, data from row 3)."""
    text = export_table(*shipped, "csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    # like a spreadsheet saving Shift_JIS, characters it cannot hold become "?"
    return out.getvalue().encode(encoding, errors="replace")


def column(rows: list[list[str]], header: str) -> int:
    return rows[0].index(header)


def letter(rows: list[list[str]], header: str) -> str:
    return get_column_letter(column(rows, header) + 1)


def refused(data: bytes, name: str, context) -> TableError:
    with pytest.raises(TableError) as caught:
        import_table(data, name, context)
    return caught.value


def messages(error: TableError, lang: str = "en") -> list[str]:
    return [e.text(lang) for e in error.errors]


@pytest.fixture(scope="module")
def mistakes(rows):
    """One CSV with the typical mistakes, one per row."""
    bad = [list(r) for r in rows]
    no, policy, pj = column(rows, "事業No."), column(rows, "施策No."), column(rows, "PJ")
    activities, overview = column(rows, "2022～2025年度の事業内容"), column(rows, "事業概要")
    bad[2][no] = ""  # row 3: entry 055 without its number
    bad[3][no] = "057"  # row 4: entry 056 numbered 057, which row 5 has too
    bad[5][policy] = "99"  # row 6: no such policy
    bad[6][pj] = "PJ two"  # row 7: mistyped leading project
    bad[7][pj] = "P J2"  # row 8: mistyped leading project
    bad[8][activities] = "・" + bad[8][activities].lstrip("●")  # row 9: ・ before any ●
    original = bad[9][overview]
    bad[9][overview] = original.encode("utf-8").decode("cp1252", errors="replace")  # row 10
    return bad, original


def test_each_mistake_is_named_by_sheet_row_and_column(mistakes, shipped):
    bad, _ = mistakes
    error = refused(csv_bytes(bad), "plan.csv", shipped[1])
    found = messages(error)
    expected = [
        ("sheet 'plan.csv', row 3, column C (Entry No.): the entry number is empty"),
        (
            "sheet 'plan.csv', row 5, column C (Entry No.): "
            "entry No. 057 appears twice (also on row 4)"
        ),
        ("sheet 'plan.csv', row 6, column A (Policy No.): policy '99' is not a policy of the plan"),
        ("sheet 'plan.csv', row 7, column G (PJ): 'PJ two' is not a leading project code"),
        ("sheet 'plan.csv', row 8, column G (PJ): 'P J2' is not a leading project code"),
        (
            "sheet 'plan.csv', row 9, column F (Activities FY2022–2025 (ja)): "
            "line 1: a sub-item (・) "
            "comes before any main item (●)"
        ),
        ("sheet 'plan.csv', row 10, column E (Overview (ja)): "),
    ]
    for prefix in expected:
        assert any(m.startswith(prefix) for m in found), (prefix, found)
    assert len(found) == len(expected), found
    garbled = next(m for m in found if "row 10" in m)
    assert "replacement character" in garbled or "mojibake" in garbled


def test_messages_in_japanese_name_the_place_too(mistakes, shipped):
    bad, _ = mistakes
    found = messages(refused(csv_bytes(bad), "plan.csv", shipped[1]), "ja")
    assert any(
        m.startswith("シート「plan.csv」 3行目 C列（事業No.）：事業No. が空欄です") for m in found
    ), found
    assert any(
        m.startswith(
            "シート「plan.csv」 7行目 G列（PJ）："
            "「PJ two」はリーディングプロジェクトの記号ではありません"
        )
        for m in found
    ), found
    assert any("9行目 F列" in m and "細目（・）が、主な事業内容（●）より前" in m for m in found)
    assert any(
        "6行目 A列（施策No.）："
        "施策No.「99」は計画にありません（計画の施策：1, 8, 9, 10, 11, 12, 13）" in m
        for m in found
    ), found


def test_mojibake_that_is_valid_utf8_is_recognised(rows, shipped):
    bad = [list(r) for r in rows]
    overview = column(rows, "事業概要")
    original = bad[2][overview]
    bad[2][overview] = original.encode("utf-8").decode("latin-1")  # æ°´ç´ ...
    found = messages(refused(csv_bytes(bad), "plan.csv", shipped[1]))
    assert len(found) == 1
    assert found[0].startswith(
        "sheet 'plan.csv', row 3, column E (Overview (ja)): the text is garbled"
    )
    assert original[:10] in found[0]


def test_a_csv_that_is_not_utf8_is_refused_with_where_and_why(rows, shipped):
    data = csv_bytes(rows, encoding="cp932")  # Excel's plain "CSV" on Japanese Windows
    found = messages(refused(data, "plan.csv", shipped[1]))
    assert len(found) == 1
    # the first non-ASCII text is the header of column A on row 1
    assert found[0].startswith("sheet 'plan.csv', row 1, column A: the file is not UTF-8 here")
    assert "Shift_JIS" in found[0] and "not guessed" in found[0]
    data = csv_bytes([["No", "plain"], ["x", "y"], ["1", "水素"]], encoding="cp932")
    found = messages(refused(data, "plan.csv", shipped[1]))
    assert found[0].startswith(
        "sheet 'plan.csv', row 3, column B (plain): the file is not UTF-8 here"
    )


def test_utf16_is_refused(rows, shipped):
    data = csv_bytes(rows, encoding="utf-16")
    found = messages(refused(data, "plan.csv", shipped[1]))
    assert found == [
        "sheet 'plan.csv': the file is saved as UTF-16; save it as UTF-8 (in Excel: "
        "'CSV UTF-8 (Comma delimited)') and import it again"
    ]


def test_unescaped_formulas_in_csv_are_refused(rows, shipped):
    bad = [list(r) for r in rows]
    bad[4][column(rows, "事業概要")] = '=HYPERLINK("http://evil.example","x")'
    bad[5][column(rows, "PJ")] = "+PJ2"
    found = messages(refused(csv_bytes(bad), "plan.csv", shipped[1]))
    assert found[0].startswith("sheet 'plan.csv', row 5, column E (Overview (ja)): ")
    assert "starts like a formula" in found[0] and "apostrophe" in found[0]
    assert found[1].startswith("sheet 'plan.csv', row 6, column G (PJ): ")


def test_unknown_and_missing_columns_and_bad_codes(rows, shipped):
    bad = [list(r) for r in rows]
    bad[0][column(rows, "PJ")] = "ＰＪＸ"
    bad[1][column(rows, "PJ")] = "Project"
    bad[2][column(rows, "エコまち")] = "○"
    found = messages(refused(csv_bytes(bad), "plan.csv", shipped[1]))
    assert found[0].startswith(
        "sheet 'plan.csv', row 1, column G (ＰＪＸ): 'ＰＪＸ' is not a column of the plan"
    )
    assert any(
        m.startswith(
            f"sheet 'plan.csv', row 3, column {letter(rows, 'エコまち')} (Eco-machi): "
            "expected ● or nothing"
        )
        for m in found
    )
    no_number = [[c for i, c in enumerate(r) if i != column(rows, "事業No.")] for r in rows]
    found = messages(refused(csv_bytes(no_number), "plan.csv", shipped[1]))
    assert found == ["sheet 'plan.csv', row 1: the required column 事業No. (Entry No.) is missing"]


def test_references_must_exist(rows, shipped):
    bad = [list(r) for r in rows]
    bad[2][column(rows, "所管部署")] = "環境局どこかの課"
    bad[3][column(rows, "出典箇所")] = "kawasaki-2022-direction-2/L999-999"
    bad[4][column(rows, "再掲元の事業No.")] = "099"
    bad[5][column(rows, "PJ")] = "PJ9"
    bad[6][column(rows, "その他の記述（Turtle）")] = '<id/x> kgo:y "open'
    found = messages(refused(csv_bytes(bad), "plan.csv", shipped[1]))
    expected = [
        (3, "所管部署", "Responsible department", "no organisation is named '環境局どこかの課'"),
        (4, "出典箇所", "Source passages", "there is no source passage"),
        (5, "再掲元の事業No.", "Re-listing of entry No.", "entry No. 099 (the re-listed original)"),
        (6, "PJ", "PJ", "leading project PJ9 is not in the plan"),
        (7, "その他の記述（Turtle）", "Other statements (Turtle)", "line 1: not valid Turtle"),
    ]
    assert len(found) == len(expected)
    for message, (row, header, english, text) in zip(found, expected, strict=True):
        where = f"sheet 'plan.csv', row {row}, column {letter(rows, header)} ({english}): "
        assert message.startswith(where + text), (message, where + text)


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def xlsx_with(shipped, edit) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(export_table(*shipped, "xlsx")))
    edit(workbook["事業一覧"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def patch_sheet_xml(data: bytes, old: bytes, new: bytes) -> bytes:
    """Change the sheet XML directly, as a damaged or hand-made file would be."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                # the writer may store non-ASCII text as character references (lxml does)
                if old not in content:
                    old, new = (text.decode().encode("ascii", "xmlcharrefreplace")
                                for text in (old, new))
                assert old in content
                content = content.replace(old, new, 1)
            target.writestr(name, content)
    return out.getvalue()


def test_xlsx_mistakes_name_sheet_row_and_column(shipped):
    def edit(sheet):
        sheet["C4"] = 56.0 + 1  # a number the way Excel stores it: duplicates 057 on row 5
        sheet["G7"] = "PJ two"
        sheet["E8"] = "=1+1"  # a formula
        sheet["A9"] = None  # no policy

    found = messages(refused(xlsx_with(shipped, edit), "plan.xlsx", shipped[1]))
    assert found == [
        "sheet '事業一覧', row 5, column C (Entry No.): "
        "entry No. 057 appears twice (also on row 4)",
        found[1],
        "sheet '事業一覧', row 8, column E (Overview (ja)): "
        "the cell holds a formula; enter the text "
        "itself, not a formula",
        found[3],
    ]
    assert found[1].startswith("sheet '事業一覧', row 7, column G (PJ): 'PJ two' is not a leading")
    assert found[3].startswith(
        "sheet '事業一覧', row 9, column A (Policy No.): the policy number is empty"
    )


def test_xlsx_cell_with_a_control_character_is_refused(shipped):
    data = export_table(*shipped, "xlsx")
    # OOXML stores characters XML cannot hold as _xHHHH_ escapes (Excel writes them so)
    damaged = patch_sheet_xml(data, "港湾計画策定事業".encode(), "港湾計画_x0007_策定事業".encode())
    found = messages(refused(damaged, "plan.xlsx", shipped[1]))
    assert found == [
        "sheet '事業一覧', row 4, column D (Programme (ja)): it contains the control character "
        "U+0007, which is not text"
    ]


def test_xlsx_cell_with_a_character_xml_forbids_is_located(shipped):
    data = export_table(*shipped, "xlsx")
    damaged = patch_sheet_xml(data, "港湾計画策定事業".encode(), "港湾計画&#1;策定事業".encode())
    found = messages(refused(damaged, "plan.xlsx", shipped[1]))
    assert found == [
        "sheet '事業一覧', row 4, column D: it holds a control character XML forbids, so the "
        "workbook cannot be read"
    ]


def test_not_a_workbook(shipped):
    found = messages(refused(b"PK\x03\x04 not really", "plan.xlsx", shipped[1]))
    assert found[0].startswith("sheet 'plan.xlsx': not a readable XLSX workbook")
    found = messages(refused(b"x", "plan.ods", shipped[1]))
    assert found == ["sheet 'plan.ods': a plan table is a .csv or .xlsx file, not .ods"]


# ---------------------------------------------------------------------------
# import-table --apply leaves the served data alone
# ---------------------------------------------------------------------------


def kgraph(*args: str) -> subprocess.CompletedProcess:
    return run_kgraph("--base", BASE, *args, cwd=PROJECT_ROOT)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("served") / "store"
    loaded = kgraph("load", "--store", str(root))
    assert loaded.returncode == 0, loaded.stderr
    return root


def served_state(root: Path) -> tuple[str, list[str]]:
    """Where ``current`` points, and every quad of it (sorted N-Quads lines)."""
    link = os.readlink(root / "current")
    snapshot = SnapshotStore(root).open_read_only()
    quads = sorted(str(q) for q in snapshot)
    del snapshot
    return link, quads


def test_apply_of_a_spreadsheet_with_mistakes_changes_nothing(store, mistakes, tmp_path):
    before = served_state(store)
    bad, _ = mistakes
    table = tmp_path / "plan.csv"
    table.write_bytes(csv_bytes(bad))
    result = kgraph(
        "import-table", str(table), "--apply", "--store", str(store), "-o", str(tmp_path / "o.ttl")
    )
    assert result.returncode == 1
    assert "the spreadsheet was refused (7 problem(s)); nothing was changed." in result.stderr
    assert (
        "sheet 'plan.csv', row 7, column G (PJ): 'PJ two' is not a leading project code"
        in result.stderr
    )
    assert (
        "sheet 'plan.csv', row 3, column C (Entry No.): the entry number is empty" in result.stderr
    )
    assert not (tmp_path / "o.ttl").exists()
    assert served_state(store) == before


@pytest.mark.parametrize("case", ["cp932", "xlsx-control-character"])
def test_apply_of_a_broken_encoding_changes_nothing(store, rows, shipped, tmp_path, case):
    before = served_state(store)
    if case == "cp932":
        table = tmp_path / "plan.csv"
        table.write_bytes(csv_bytes(rows, encoding="cp932"))
        expected = "sheet 'plan.csv', row 1, column A: the file is not UTF-8 here"
    else:
        table = tmp_path / "plan.xlsx"
        data = export_table(*shipped, "xlsx")
        table.write_bytes(
            patch_sheet_xml(data, "港湾計画策定事業".encode(), "港湾計画_x0007_策定事業".encode())
        )
        expected = (
            "sheet '事業一覧', row 4, column D (Programme (ja)): it contains the control character"
        )
    result = kgraph("import-table", str(table), "--apply", "--store", str(store), "--lang", "en")
    assert result.returncode == 1
    assert expected in result.stderr
    assert served_state(store) == before


def test_apply_of_a_table_that_breaks_the_shapes_changes_nothing(store, rows, tmp_path):
    """The spreadsheet reads fine, but SHACL finds a violation: the gate refuses it."""
    before = served_state(store)
    bad = [list(r) for r in rows]
    bad[2][column(rows, "その他の記述（Turtle）")] = (
        '<id/plan/kawasaki-2022/entry/055> kgo:entryNumber "55x" .'
    )
    table = tmp_path / "plan.csv"
    table.write_bytes(csv_bytes(bad))
    result = kgraph("import-table", str(table), "--apply", "--store", str(store), "--lang", "ja")
    assert result.returncode == 1
    assert "違反" in result.stderr and "055" in result.stderr
    assert "何も変更していません" in result.stderr
    assert served_state(store) == before


def test_apply_of_a_good_change_publishes_it(store, rows, tmp_path):
    """The counterpart: a correct edit goes through the gate into a new snapshot."""
    before = served_state(store)
    edited = [list(r) for r in rows]
    overview = column(rows, "事業概要")
    edited[3][overview] = edited[3][overview] + "（更新）"
    table = tmp_path / "plan.csv"
    table.write_bytes(csv_bytes(edited))
    result = kgraph("import-table", str(table), "--apply", "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "published " in result.stdout
    after = served_state(store)
    assert after[0] != before[0]
    snapshot = SnapshotStore(store).open_read_only()
    entry = ox.NamedNode(BASE + "id/plan/kawasaki-2022/entry/056")
    overview_ja = [
        q.object.value
        for q in snapshot.quads_for_pattern(
            entry, ox.NamedNode("https://w3id.org/kgraph/ontology#overview"), None
        )
        if q.object.language == "ja"
    ]
    assert overview_ja and overview_ja[0].endswith("（更新）")


def test_apply_keeps_what_updates_changed_in_other_graphs(rows, tmp_path):
    """A statement published since the files were loaded (as a SPARQL Update does) is
    still there after a table is applied: the table replaces the entries graph of
    the served data, not the served data with the files."""
    root = tmp_path / "store"
    assert kgraph("load", "--store", str(root)).returncode == 0
    snapshots = SnapshotStore(root)
    served = list(snapshots.open_read_only())
    added = ox.Quad(ox.NamedNode(BASE + "id/plan/kawasaki-2022"),
                    ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
                    ox.Literal("updated by an operator", language="en"),
                    ox.NamedNode(BASE + "graph/plan"))
    assert added not in served
    snapshots.publish_quads([*served, added], label="update")
    table = tmp_path / "plan.csv"
    edited = [list(r) for r in rows]
    overview = column(rows, "事業概要")
    edited[3][overview] = edited[3][overview] + "（更新）"
    table.write_bytes(csv_bytes(edited))
    result = kgraph("import-table", str(table), "--apply", "--store", str(root))
    assert result.returncode == 0, result.stderr
    after = list(SnapshotStore(root).open_read_only())
    assert added in after
    assert any(q.object.value.endswith("（更新）") for q in after
               if q.predicate.value == "https://w3id.org/kgraph/ontology#overview")


def test_apply_needs_a_store(rows, tmp_path):
    table = tmp_path / "plan.csv"
    table.write_bytes(csv_bytes(rows))
    result = kgraph("import-table", str(table), "--apply")
    assert result.returncode == 2
    assert "--apply needs a store directory (--store DIR or $KGRAPH_STORE)" in result.stderr


def test_a_workbook_that_unpacks_to_too_much_is_refused(shipped):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (80 * 1024 * 1024) + b"</a>")
    assert len(out.getvalue()) < 1024 * 1024
    found = messages(refused(out.getvalue(), "bomb.xlsx", shipped[1]))
    assert found == [
        "sheet 'bomb.xlsx': the workbook unpacks to 80 MB, "
        "more than the 64 MB a plan table may have"
    ]


def test_a_malformed_csv_record_is_named_by_its_row(rows, shipped):
    """Cells hold line breaks, so a CSV error names the spreadsheet row of the record,
    not the line of the file."""
    assert any("\n" in cell for row in rows for cell in row), "the table has multi-line cells"
    lines = csv_bytes(rows).decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(lines)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(records[:9])
    out.write('"abc"x,' + ",".join(records[9][1:]) + "\r\n")  # row 10: a broken quote
    error = refused(out.getvalue().encode("utf-8"), "bad_quote.csv", shipped[1])
    assert messages(error) == [messages(error)[0]]
    assert messages(error)[0].startswith("sheet 'bad_quote.csv', row 10")


def test_cli_output_that_cannot_be_written_is_a_clear_error(tmp_path):
    """An ``-o`` into a missing directory: one line naming the path, exit 2, no traceback."""
    target = tmp_path / "missing" / "plan.csv"
    result = kgraph("export-table", "-o", str(target))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("kgraph export-table: error: ")
    assert str(target) in result.stderr
