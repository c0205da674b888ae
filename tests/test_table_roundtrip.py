"""The plan table round trip: export the entries graph, import it back, same graph.

The done-when test runs the real commands (``kgraph export-table`` then ``kgraph
import-table -o``) on the shipped data and compares with ``data/entries.ttl`` parsed
with the same base.  The other tests look at the files themselves: the layout,
encodings, and how texts that start like formulas are kept safe and exact.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from kgraph.config import PROJECT_ROOT, Config
from kgraph.dataset import parse_sources
from kgraph.iris import graph_iri
from kgraph.sources import Source
from kgraph.table.context import build_context
from kgraph.table.files import (
    context_for,
    entries_turtle,
    export_table,
    import_table,
    shipped_entries,
)

BASE = "http://localhost:8000/"
FIXTURES = Path(__file__).parent / "fixtures" / "staff"
ENTRIES = PROJECT_ROOT / "data" / "entries.ttl"


def kgraph(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "--base", BASE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def shipped_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ENTRIES, format="turtle", publicID=BASE)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_of_the_shipped_entries_through_the_commands(tmp_path, fmt):
    table = tmp_path / f"plan.{fmt}"
    exported = kgraph("export-table", "-o", str(table))
    assert exported.returncode == 0, exported.stderr
    out = tmp_path / "entries.ttl"
    imported = kgraph("import-table", str(table), "-o", str(out))
    assert imported.returncode == 0, imported.stderr + imported.stdout
    assert "valid: " in imported.stdout
    # the written Turtle names no host, like the files in data/
    text = out.read_text(encoding="utf-8")
    assert "localhost" not in text and "@base" not in text
    result = rdflib.Graph().parse(out, format="turtle", publicID=BASE)
    expected = shipped_graph()
    assert len(result) == len(expected) > 700
    assert isomorphic(result, expected)


@pytest.fixture(scope="module")
def shipped():
    config = Config(base=BASE)
    return shipped_entries(config), context_for(config)


def test_layout_of_the_shipped_table(shipped):
    triples, context = shipped
    rows = list(csv.reader(io.StringIO(export_table(triples, context, "csv").decode("utf-8-sig"))))
    ja, en = rows[0], rows[1]
    assert ja[:7] == [
        "施策No.",
        "施策名（参照用）",
        "事業No.",
        "事務事業名",
        "事業概要",
        "2022～2025年度の事業内容",
        "PJ",
    ]
    assert en[:3] == ["Policy No.", "Policy (for reference)", "Entry No."]
    # the flag columns follow PJ in the order the plan prints them (their schema:position)
    assert ja[6:9] == ["PJ", "エコまち", "適応"] and en[6:9] == ["PJ", "Eco-machi", "Adaptation"]
    assert [(f.slug, f.position) for f in context.flags] == [("ecomachi", 1), ("adaptation", 2)]
    assert ja[-2:] == ["事務事業ID", "その他の記述（Turtle）"]
    data = rows[2:]
    assert [r[2] for r in data] == [f"{n:03d}" for n in range(55, 76)]
    row = dict(zip(ja, data[0], strict=True))
    assert row["施策No."] == "8" and row["PJ"] == "PJ2" and row["エコまち"] == "●"
    assert row["事務事業名"] == "水素戦略・カーボンニュートラル産業推進事業"
    assert row["2022～2025年度の事業内容"].startswith("●「川崎水素戦略」に基づく取組の推進\n●")
    assert row["出典箇所"] == "kawasaki-2022-direction-2/L16-16"
    # a re-listing and sub-items (・ after their ●)
    relisted = dict(zip(ja, data[72 - 55], strict=True))
    assert relisted["再掲元の事業No."] == "038"
    assert "\n・金融機関と連携した脱炭素化の取組の推進" in relisted["2022～2025年度の事業内容"]
    english = dict(zip(en, data[0], strict=True))
    assert (
        english["Programme"] == "Hydrogen Strategy and Carbon Neutral Industry Promotion Programme"
    )


def test_csv_is_utf8_with_bom_and_crlf(shipped):
    data = export_table(*shipped, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    data.decode("utf-8")


def test_csv_without_bom_and_with_lf_imports_the_same(shipped):
    triples, context = shipped
    data = export_table(triples, context, "csv")[3:].replace(b"\r\n", b"\n")
    assert set(import_table(data, "plan.csv", context)) == set(triples)


def test_xlsx_has_the_table_and_a_guide(shipped):
    workbook = openpyxl.load_workbook(io.BytesIO(export_table(*shipped, "xlsx")))
    assert workbook.sheetnames == ["事業一覧", "説明 Guide"]
    sheet = workbook["事業一覧"]
    assert sheet["C1"].value == "事業No." and sheet["C2"].value == "Entry No."
    assert sheet["C3"].value == "055" and sheet.freeze_panes == "D3"
    assert sheet.data_validations.dataValidation, "coded columns have drop-down lists"


@pytest.fixture(scope="module")
def fixture_tables():
    plan = Source(FIXTURES / "plan.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "plan"))
    context = build_context(parse_sources([plan], BASE), BASE)
    entries = Source(FIXTURES / "entries.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "entries"))
    triples = [q.triple for q in parse_sources([entries], BASE)]
    return triples, context


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_fixture_round_trip_keeps_texts_that_look_like_formulas(fixture_tables, fmt):
    triples, context = fixture_tables
    data = export_table(triples, context, fmt)
    assert set(import_table(data, f"plan.{fmt}", context)) == set(triples)


def test_csv_protects_formula_like_cells_with_an_apostrophe(fixture_tables):
    rows = list(csv.reader(io.StringIO(export_table(*fixture_tables, "csv").decode("utf-8-sig"))))
    cells = [cell for row in rows[2:] for cell in row]
    assert "'=Bring companies' decarbonisation into the city,\nand foster innovation." in cells
    assert "'-Issue green bonds." in cells
    # a text that itself starts with ' gets one more, and import removes exactly one
    assert "''Entry 073': Global Warming Countermeasures" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_xlsx_stores_formula_like_texts_as_text_never_as_formulas(fixture_tables):
    workbook = openpyxl.load_workbook(io.BytesIO(export_table(*fixture_tables, "xlsx")))
    cells = [c for row in workbook["事業一覧"].iter_rows(min_row=3) for c in row if c.value]
    assert all(c.data_type == "s" for c in cells)
    risky = [c for c in cells if str(c.value)[:1] in "=+-@"]
    assert risky and all(c.quotePrefix for c in risky)
    assert "=Bring companies' decarbonisation into the city,\nand foster innovation." in [
        c.value for c in risky
    ]


def test_statements_no_column_holds_go_to_the_other_column(fixture_tables):
    rows = list(csv.reader(io.StringIO(export_table(*fixture_tables, "csv").decode("utf-8-sig"))))
    other = {row[2]: row[-1] for row in rows[2:]}
    assert other["073"] == (
        '<id/plan/kawasaki-2022/entry/073> rdfs:comment "@an untagged comment no column holds"@en .'
    )
    # an item's own extra normalisation (the others are in the activities' column)
    assert other["055"] == (
        "<id/plan/kawasaki-2022/entry/055/activity/2> kgo:normalisation "
        "<id/normalisation/co2-subscript> ."
    )


def test_spreadsheet_habits_are_accepted(shipped):
    """Excel drops leading zeros and may use full-width digits; the meaning is kept."""
    triples, context = shipped
    text = export_table(triples, context, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    rows[2][2] = "55"  # 055 as Excel shows it
    rows[3][0] = "８"  # full-width policy number
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assert set(import_table(out.getvalue().encode(), "plan.csv", context)) == set(triples)


def test_entries_turtle_parses_back_to_the_same_graph(shipped):
    triples, _ = shipped
    text = entries_turtle(triples, BASE)
    graph = rdflib.Graph().parse(data=text, format="turtle", publicID=BASE)
    assert isomorphic(graph, shipped_graph())
    other = rdflib.Graph().parse(data=text, format="turtle", publicID="https://example.org/kg/")
    assert len(other) == len(graph)
    assert (
        rdflib.URIRef("https://example.org/kg/id/plan/kawasaki-2022/entry/055"),
        None,
        None,
    ) in other


def test_export_from_a_store_matches_the_export_of_the_files(tmp_path):
    store = tmp_path / "store"
    loaded = kgraph("load", "--store", str(store))
    assert loaded.returncode == 0, loaded.stderr
    from_store, from_files = tmp_path / "from-store.csv", tmp_path / "from-files.csv"
    exported = kgraph("export-table", "--store", str(store), "-o", str(from_store))
    assert exported.returncode == 0, exported.stderr
    assert kgraph("export-table", "-o", str(from_files)).returncode == 0
    assert from_store.read_bytes() == from_files.read_bytes()
