"""SHACL reports people can act on: every format, both languages, and the CLI.

Most tests validate a small fixture (tests/fixtures/staff) against fixture shapes, so
that they test the renderers and not the project's shapes; the last ones run
``kgraph validate`` on the shipped data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDFS, SH

from kgraph.cli import main
from kgraph.config import PROJECT_ROOT
from kgraph.dataset import parse_sources
from kgraph.iris import graph_iri
from kgraph.reports import FORMATS, labels_from_graph, labels_from_quads, render
from kgraph.sources import Source
from kgraph.validation import Report, Result, load_shapes, validate_quads

BASE = "http://localhost:8000/"
FIXTURES = Path(__file__).parent / "fixtures" / "staff"
ENTRY = BASE + "id/plan/kawasaki-2022/entry/"


@pytest.fixture(scope="module")
def fixture_report():
    sources = [
        Source(
            PROJECT_ROOT / "ontology" / "kgo.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "ontology")
        ),
        Source(FIXTURES / "plan.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "plan")),
        Source(FIXTURES / "entries.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "entries")),
    ]
    quads = parse_sources(sources, BASE)
    shapes = load_shapes([FIXTURES / "shapes.ttl"])
    report = validate_quads(quads, shapes)
    labels = labels_from_quads(quads).merge(labels_from_graph(shapes))
    return report, labels


def test_fixture_has_one_violation_and_three_warnings(fixture_report):
    report, _ = fixture_report
    assert report.by_severity() == {"Violation": 1, "Warning": 3, "Info": 0}
    assert not report.conforms


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_text_names_focus_path_value_severity_message_and_shape(fixture_report, lang):
    report, labels = fixture_report
    text = render(report, "text", lang, labels)
    # focus node: label and IRI; grouped (one heading per focus node)
    heading = "事業No.038" if lang == "ja" else "Entry No. 038"
    assert f"■ [{'事業' if lang == 'ja' else 'plan entry'}] {heading}  <{ENTRY}038>" in text
    assert text.count(f"<{ENTRY}038>") == 1
    # property path with its ontology label, severity word, message in the language
    if lang == "ja":
        assert "✗ 違反  kgo:underPolicy (施策)" in text
        assert "事業は施策の下に置いてください。" in text
        assert "An entry must be under a policy." not in text
        assert "! 警告  kgo:responsibleDepartment (所管部署)" in text
    else:
        assert "✗ Violation  kgo:underPolicy (under policy)" in text
        assert "An entry must be under a policy." in text
        assert "事業は施策の下に置いてください。" not in text
    # the named shape (with its label), never a blank node id
    assert "kgs:TestPlanEntryShape" in text
    assert "_:" not in text
    # summary: per severity and per shape
    summary = text[text.index("集計" if lang == "ja" else "Summary") :]
    if lang == "ja":
        assert "違反 1, 警告 3, 情報 0" in summary
        assert "kgs:TestPlanEntryShape (事業の形（テスト）): 違反 1, 警告 3" in summary
    else:
        assert "Violation 1, Warning 3, Info 0" in summary
        assert "kgs:TestPlanEntryShape (plan entry shape (test)): Violation 1, Warning 3" in summary


def test_violations_come_first(fixture_report):
    report, labels = fixture_report
    text = render(report, "text", "en", labels)
    first = text.index("■ ")
    assert text[first:].startswith(f"■ [plan entry] Entry No. 038  <{ENTRY}038>")


def test_offending_value_is_shown(fixture_report):
    """A result with a value shows it (an IRI with its label, a literal quoted)."""
    _, labels = fixture_report
    report = Report(
        [
            Result(
                focus=ENTRY + "055",
                severity="Violation",
                shape="https://w3id.org/kgraph/shapes#TestPlanEntryShape",
                constraint="http://www.w3.org/ns/shacl#PatternConstraintComponent",
                path="https://w3id.org/kgraph/ontology#entryNumber",
                value="55x",
                messages={"ja": "三桁の数字", "en": "three digits"},
            ),
            Result(
                focus=ENTRY + "060",
                severity="Warning",
                shape="https://w3id.org/kgraph/shapes#TestPlanEntryShape",
                constraint="http://www.w3.org/ns/shacl#ClassConstraintComponent",
                path="https://w3id.org/kgraph/ontology#underPolicy",
                value=BASE + "id/plan/kawasaki-2022/policy/8",
                messages={"en": "wrong class"},
            ),
        ]
    )
    text = render(report, "text", "en", labels)
    assert "value: 「55x」" in text
    assert (
        f"value: Carbon neutrality of the waterfront area <{BASE}id/plan/kawasaki-2022/policy/8>"
        in text
    )
    assert "wrong format" in text and "wrong kind of resource" in text
    table = render(report, "table", "ja", labels)
    assert "「55x」" in table and "三桁の数字" in table
    # a message missing in Japanese falls back to English
    assert "wrong class" in table


def test_blank_nodes_are_never_shown_by_id(fixture_report):
    _, labels = fixture_report
    report = Report(
        [
            Result(
                focus="_:b12345",
                severity="Violation",
                shape="_:shape9876",
                constraint="http://www.w3.org/ns/shacl#MinCountConstraintComponent",
                path="https://w3id.org/kgraph/ontology#entryNumber",
                value="_:value555",
                messages={"en": "anonymous", "ja": "無名"},
            )
        ]
    )
    for fmt in ("text", "table", "json", "html"):
        for lang in ("ja", "en"):
            out = render(report, fmt, lang, labels)
            assert "b12345" not in out and "shape9876" not in out and "value555" not in out, fmt
    assert "(unnamed node)" in render(report, "text", "en", labels)
    assert "（名前のないシェイプ）" in render(report, "text", "ja", labels)


def test_table_has_one_row_per_result(fixture_report):
    report, labels = fixture_report
    table = render(report, "table", "en", labels)
    lines = table.splitlines()
    header = [cell.strip() for cell in lines[0].split(" | ")]
    assert header == [
        "severity",
        "focus label",
        "focus IRI",
        "property path",
        "value",
        "message",
        "shape",
    ]
    rows = [line for line in lines[2:] if " | " in line]
    assert len(rows) == 4
    assert lines[-1] == "Violation 1, Warning 3, Info 0 — 4 result(s) on 3 focus node(s)"
    assert rows[0].startswith("Violation") and f"{ENTRY}038" in rows[0]


def test_json_is_complete_and_grouped(fixture_report):
    report, labels = fixture_report
    data = json.loads(render(report, "json", "ja", labels))
    assert data["conforms"] is False and data["lang"] == "ja"
    assert data["counts"] == {"Violation": 1, "Warning": 3, "Info": 0}
    assert data["by_shape"][0]["shape"] == "https://w3id.org/kgraph/shapes#TestPlanEntryShape"
    assert data["by_shape"][0]["counts"] == {"Violation": 1, "Warning": 3, "Info": 0}
    groups = {g["iri"]: g for g in data["focus_nodes"]}
    assert set(groups) == {ENTRY + "038", ENTRY + "055", ENTRY + "073"}
    first = data["focus_nodes"][0]
    assert (
        first["iri"] == ENTRY + "038" and first["label"] == "事業No.038" and first["kind"] == "事業"
    )
    violation = first["results"][0]
    assert violation["severity"] == "Violation"
    assert violation["path"] == "https://w3id.org/kgraph/ontology#underPolicy"
    assert violation["path_label"] == "施策"
    assert violation["message"] == "事業は施策の下に置いてください。"
    assert violation["messages"]["en"] == "An entry must be under a policy."
    assert violation["shape_name"] == "kgs:TestPlanEntryShape"


def test_turtle_is_a_shacl_report_graph_with_named_shapes(fixture_report):
    report, labels = fixture_report
    graph = rdflib.Graph().parse(data=render(report, "turtle", "en", labels), format="turtle")
    reports = list(graph.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert graph.value(reports[0], SH.conforms) == rdflib.Literal(False)
    results = list(graph.objects(reports[0], SH.result))
    assert len(results) == 4
    for result in results:
        assert isinstance(graph.value(result, SH.sourceShape), rdflib.URIRef)
        assert isinstance(graph.value(result, SH.focusNode), rdflib.URIRef)
        languages = {m.language for m in graph.objects(result, SH.resultMessage)}
        assert languages == {"ja", "en"}
    focus = rdflib.URIRef(ENTRY + "055")
    assert {str(label) for label in graph.objects(focus, RDFS.label)} >= {
        "事業No.055 水素戦略・カーボンニュートラル産業推進事業"
    }


def test_turtle_rebuilt_when_the_report_graph_is_missing(fixture_report):
    report, labels = fixture_report
    bare = Report(report.results, turtle="")
    graph = rdflib.Graph().parse(data=render(bare, "turtle", "en", labels), format="turtle")
    assert len(list(graph.subjects(rdflib.RDF.type, SH.ValidationResult))) == 4


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_is_self_contained(fixture_report, lang):
    report, labels = fixture_report
    html = render(report, "html", lang, labels)
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
    assert "<style>" in html and "<script" not in html
    assert 'rel="stylesheet"' not in html and "src=" not in html
    assert f'data-focus="{ENTRY}038"' in html
    assert ('data-count="Violation">1<' in html) and ('data-count="Warning">3<' in html)
    assert ("事業は施策の下に置いてください。" in html) == (lang == "ja")


def test_unknown_format_and_language_are_refused(fixture_report):
    report, labels = fixture_report
    with pytest.raises(ValueError):
        render(report, "pdf", "en", labels)
    with pytest.raises(ValueError):
        render(report, "text", "fr", labels)
    assert set(FORMATS) == {"text", "table", "turtle", "json", "html"}


# ---------------------------------------------------------------------------
# kgraph validate
# ---------------------------------------------------------------------------


def test_cli_exit_1_and_every_format_on_data_that_does_not_conform(tmp_path, capsys):
    """The fixture entries alone (no plan graph) break the project's shapes."""
    entries = str(FIXTURES / "entries.ttl")
    for fmt in FORMATS:
        out = tmp_path / f"report.{fmt}"
        code = main(["validate", entries, "--format", fmt, "--lang", "ja", "-o", str(out)])
        assert code == 1, fmt
        assert out.read_text(encoding="utf-8").strip(), fmt
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["conforms"] is False and data["counts"]["Violation"] > 0
    rdflib.Graph().parse(tmp_path / "report.turtle", format="turtle")
    assert "_:" not in (tmp_path / "report.text").read_text(encoding="utf-8")


def test_cli_exit_2_on_errors(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing.ttl")]) == 2
    assert "missing.ttl: no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        '@prefix kgo: <https://w3id.org/kgraph/ontology#> .\n<a> kgo:x "open\n', "utf-8"
    )
    assert main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.ttl:2" in err


def test_cli_unknown_format_is_an_argument_error():
    result = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "validate", "--format", "pdf"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2
    assert "invalid choice: 'pdf'" in result.stderr


def test_shipped_data_lists_the_real_gaps_as_warnings_not_violations():
    """Entries without a responsible department are warnings; the data conforms (exit 0)."""
    result = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "validate", "--format", "json", "--lang", "en"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["conforms"] is True and data["counts"]["Violation"] == 0
    department = "https://w3id.org/kgraph/ontology#responsibleDepartment"
    gaps = {g["iri"] for g in data["focus_nodes"] for r in g["results"] if r["path"] == department}
    severities = {
        r["severity"] for g in data["focus_nodes"] for r in g["results"] if r["path"] == department
    }
    # entries 055-075 have no responsible department recorded (docs/research.md §4)
    assert gaps == {f"{ENTRY}{n:03d}" for n in range(55, 76)}
    assert severities == {"Warning"}
    labels = {g["iri"]: g["label"] for g in data["focus_nodes"]}
    assert labels[ENTRY + "055"].startswith("055 Hydrogen Strategy")


def test_shipped_data_text_report_in_japanese():
    result = subprocess.run(
        [sys.executable, "-m", "kgraph.cli", "validate", "--lang", "ja"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "SHACL 検証レポート: 適合しています（違反なし）" in result.stdout
    assert f"■ [事業] 055 水素戦略・カーボンニュートラル産業推進事業  <{ENTRY}055>" in result.stdout
    assert "! 警告  kgo:responsibleDepartment (所管部署)" in result.stdout
    assert "_:" not in result.stdout


def test_cli_validates_a_plan_spreadsheet_in_place_of_the_entries(tmp_path, capsys):
    from kgraph.config import Config
    from kgraph.table.files import context_for, export_table, shipped_entries

    config = Config(base=BASE)
    data = export_table(shipped_entries(config), context_for(config), "csv")
    table = tmp_path / "plan.csv"
    table.write_bytes(data)
    temporary = set(Path(tempfile.gettempdir()).glob("kgraph-entries-*"))
    assert main(["validate", str(table), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["Warning"] >= 21
    table.write_bytes(data.replace(b"PJ2", b"P J2", 1))
    assert main(["validate", str(table), "--lang", "ja"]) == 2
    err = capsys.readouterr().err
    assert (
        "シート「plan.csv」 3行目 G列（PJ）：「P J2」はリーディングプロジェクトの記号ではありません"
        in err
    )
    left = set(Path(tempfile.gettempdir()).glob("kgraph-entries-*")) - temporary
    assert not left, "the temporary entries file is removed"


# ---------------------------------------------------------------------------
# sh:conforms as SHACL defines it (§3.6.1): true iff there are no results at all
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warnings_only():
    """The fixture validated with its one Violation shape lowered to a Warning: the
    data passes the gate ("no Violation") and yet has results."""
    sources = [
        Source(PROJECT_ROOT / "ontology" / "kgo.ttl", ox.RdfFormat.TURTLE,
               graph_iri(BASE, "ontology")),
        Source(FIXTURES / "plan.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "plan")),
        Source(FIXTURES / "entries.ttl", ox.RdfFormat.TURTLE, graph_iri(BASE, "entries")),
    ]
    quads = parse_sources(sources, BASE)
    shapes = load_shapes([FIXTURES / "shapes.ttl"])
    for shape, _, _ in list(shapes.triples((None, SH.severity, SH.Violation))):
        shapes.set((shape, SH.severity, SH.Warning))
    no_severity = set(shapes.subjects(SH.path, None)) - set(shapes.subjects(SH.severity, None))
    for shape in no_severity:  # a property shape without sh:severity reports Violations
        shapes.add((shape, SH.severity, SH.Warning))
    report = validate_quads(quads, shapes)
    return quads, shapes, report


def test_warnings_only_pass_the_gate_but_do_not_conform_in_shacl(warnings_only):
    _, _, report = warnings_only
    assert report.count("Violation") == 0 and report.count("Warning") >= 4
    assert report.conforms is True  # the gate's rule and the human verdict
    assert report.sh_conforms is False  # SHACL's
    assert report.to_json()["sh_conforms"] is False


def test_every_rdf_rendering_says_sh_conforms_false_beside_results(warnings_only):
    _, _, report = warnings_only
    for rendered in (render(report, "turtle"), render(Report(report.results), "turtle"),
                     render(report.capped(1), "turtle")):
        graph = rdflib.Graph().parse(data=rendered, format="turtle")
        (root,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
        assert list(graph.objects(root, SH.conforms)) == [rdflib.Literal(False)]
        assert list(graph.objects(root, SH.result))
    data = json.loads(render(report, "json"))
    assert data["conforms"] is True and data["sh_conforms"] is False


def test_a_report_without_results_conforms_in_shacl():
    report = Report([])
    assert report.sh_conforms and report.conforms
    graph = rdflib.Graph().parse(data=render(report, "turtle"), format="turtle")
    (root,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(root, SH.conforms) == rdflib.Literal(True)
    assert report.capped(0).sh_conforms
    assert not Report([], omitted={"Info": 1}).sh_conforms


@pytest.mark.parametrize("engine", ["pyshacl", "turbo"])
def test_sh_conforms_agrees_with_shacl_engines_run_as_the_standard_says(warnings_only, engine):
    """pySHACL and pyshacl-turbo (a separate Rust engine) without ``allow_warnings``
    (pySHACL's extension) give SHACL's verdict: the report's ``sh:conforms``."""
    from kgraph.dataset import to_rdflib

    quads, shapes, report = warnings_only
    if engine == "turbo":
        turbo = pytest.importorskip("pyshacl_turbo")
        conforms, graph, _ = turbo.validate(to_rdflib(quads), shacl_graph=shapes,
                                            advanced=True)
    else:
        from pyshacl import validate

        conforms, graph, _ = validate(to_rdflib(quads), shacl_graph=shapes, advanced=True,
                                      inference="none")
    assert conforms is False
    ours = rdflib.Graph().parse(data=render(report, "turtle"), format="turtle")
    assert ours.value(next(ours.subjects(rdflib.RDF.type, SH.ValidationReport)),
                      SH.conforms) == rdflib.Literal(conforms)
    assert len(set(graph.subjects(rdflib.RDF.type, SH.ValidationResult))) == len(report.results)


def test_cli_turtle_on_the_shipped_data_follows_shacl():
    """The shipped data has warnings only: exit 0 (no Violation), and the Turtle report
    says ``sh:conforms false`` beside its results; JSON says both."""
    def run(fmt: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kgraph.cli", "validate", "--format", fmt, "--lang", "en"],
            capture_output=True, text=True, cwd=PROJECT_ROOT)

    turtle, as_json = run("turtle"), run("json")
    assert turtle.returncode == 0 and as_json.returncode == 0, turtle.stderr
    graph = rdflib.Graph().parse(data=turtle.stdout, format="turtle")
    (root,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    results = list(graph.objects(root, SH.result))
    data = json.loads(as_json.stdout)
    assert len(results) == data["total"] > 0
    assert graph.value(root, SH.conforms) == rdflib.Literal(False)
    assert data["conforms"] is True and data["sh_conforms"] is False
