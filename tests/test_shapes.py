"""Every SHACL shape against its own fixtures, and the conventions every shape follows.

``tests/fixtures/shapes/<shape local name>/`` holds ``valid.ttl`` (no result from the
shape), ``invalid.ttl`` and ``expected.json``: the results the invalid data must give,
written down by hand from what the fixture breaks.  A node shape's results include those
of its property shapes.  Fixtures are validated together with ``ontology/kgo.ttl`` (the
subclass axioms and code lists the shapes rely on), through ``kgraph.validation``.

``kgs:TextCharactersShape`` is also run on the shipped data as ``kgraph load`` validates
it (per unit, from the parsed quads), with each engine: its regular expression must mean
the same to rdflib's SPARQL (Python's re) and to Oxigraph's (Rust's regex).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH

from kgraph.config import DEFAULT_BASE, PROJECT_ROOT
from kgraph.dataset import parse_sources
from kgraph.iris import KGO, KGS, PREFIXES
from kgraph.sources import shipped_sources
from kgraph.validation import Result, load_shapes, turbo_available, validate_graph
from kgraph.validation_units import validate_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
#: Prefixes used in the fixtures and in expected.json (longest namespace first when compacting).
NAMESPACES = {"ex": "http://example.org/", "doc": "http://example.org/doc/", **PREFIXES}
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
#: Where a shape may be given as a parameter of another shape.
PARAMETERS = (SH.node, SH.qualifiedValueShape, SH.property)

SHAPES = load_shapes()
ONTOLOGY = rdflib.Graph().parse(PROJECT_ROOT / "ontology" / "kgo.ttl", format="turtle")


def _all_shapes() -> set[rdflib.term.Node]:
    typed = {
        s for kind in (SH.NodeShape, SH.PropertyShape) for s in SHAPES.subjects(RDF.type, kind)
    }
    used = {o for p in PARAMETERS for o in SHAPES.objects(None, p)}
    listed = {m for lst in SHAPES.objects(None, SH["or"]) for m in Collection(SHAPES, lst)}
    return typed | used | listed


ALL_SHAPES = _all_shapes()
TARGETED = {s for s in ALL_SHAPES if any(SHAPES.value(s, t) is not None for t in TARGETS)}
PROPERTY_SHAPES = {p for n in TARGETED for p in SHAPES.objects(n, SH.property)}
VALUE_SHAPES = ALL_SHAPES - TARGETED - PROPERTY_SHAPES
TESTED = sorted(str(s).removeprefix(KGS) for s in TARGETED | PROPERTY_SHAPES)


def compact(text: str | None) -> str | None:
    """IRIs in a focus node, path or shape as prefixed names (paths may join several)."""
    if text is None:
        return None
    for prefix, namespace in sorted(NAMESPACES.items(), key=lambda item: -len(item[1])):
        text = text.replace(namespace, f"{prefix}:")
    return text


@cache
def shapes_for(name: str) -> rdflib.Graph:
    """The shapes graph with only the targets of the node shape ``name`` is or belongs to.

    A shape's results do not depend on other shapes' targets; leaving them out keeps
    each fixture's validation to the shape under test.
    """
    shape = rdflib.URIRef(KGS + name)
    owners = {shape} if shape in TARGETED else set(SHAPES.subjects(SH.property, shape))
    graph = rdflib.Graph()
    for triple in SHAPES:
        if triple[1] in TARGETS and triple[0] not in owners:
            continue
        graph.add(triple)
    return graph


def tree(name: str) -> set[str]:
    """The shape and, for a node shape, its property shapes."""
    shape = rdflib.URIRef(KGS + name)
    return {str(shape)} | {str(p) for p in SHAPES.objects(shape, SH.property)}


def fixture_results(name: str, kind: str) -> tuple[list[Result], list[Result]]:
    """(results of the shape's tree, all results) for one fixture file."""
    data = rdflib.Graph()
    data += ONTOLOGY
    data.parse(FIXTURES / name / f"{kind}.ttl", format="turtle")
    report = validate_graph(data, shapes_for(name), engine="pyshacl")  # the default engine
    return [r for r in report.results if r.shape in tree(name)], report.results


def key(result: Result) -> tuple:
    return (compact(result.focus), compact(result.path), result.severity, compact(result.shape))


def test_every_shape_has_fixtures():
    present = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert present == TESTED
    for name in present:
        files = {p.name for p in (FIXTURES / name).iterdir()}
        assert files == {"valid.ttl", "invalid.ttl", "expected.json"}


@pytest.mark.parametrize("name", TESTED)
def test_valid_fixture_gives_no_result(name):
    results, _ = fixture_results(name, "valid")
    assert [key(r) for r in results] == []


@pytest.mark.parametrize("name", TESTED)
def test_invalid_fixture_gives_exactly_the_expected_results(name):
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    results, everything = fixture_results(name, "invalid")
    assert Counter(key(r) for r in results) == Counter(
        (e["focus"], e["path"], e["severity"], e["shape"]) for e in expected
    )
    for r in everything:
        assert r.shape.startswith(KGS), f"result from an unnamed shape: {r}"
    for r in results:
        assert r.messages.get("ja") and r.messages.get("en"), f"message missing a language: {r}"
        assert "{?" not in r.message("ja") + r.message("en"), f"unfilled template: {r.messages}"


def test_every_shape_is_named_in_the_shapes_namespace():
    unnamed = [s for s in ALL_SHAPES if not (isinstance(s, rdflib.URIRef) and s.startswith(KGS))]
    assert unnamed == []


def _texts(subject, predicate) -> Counter:
    return Counter(getattr(o, "language", None) for o in SHAPES.objects(subject, predicate))


@pytest.mark.parametrize("shape", sorted(str(s).removeprefix(KGS) for s in ALL_SHAPES))
def test_shape_has_message_and_label_in_japanese_and_english(shape):
    node = rdflib.URIRef(KGS + shape)
    assert _texts(node, SH.message) == Counter({"ja": 1, "en": 1})
    assert _texts(node, RDFS.label) == Counter({"ja": 1, "en": 1})


def test_property_shapes_belong_to_exactly_one_node_shape():
    for prop in PROPERTY_SHAPES:
        owners = list(SHAPES.subjects(SH.property, prop))
        assert len(owners) == 1, (prop, owners)
        owner = str(owners[0]).removeprefix(KGS).removesuffix("Shape")
        assert str(prop).removeprefix(KGS).startswith(owner + "-"), (prop, owner)


def test_value_shapes_only_serve_as_parameters():
    assert VALUE_SHAPES, "expected the value shapes kgs:JapaneseText, kgs:OrganisationValue, …"
    for shape in VALUE_SHAPES:
        assert not any(SHAPES.value(shape, t) is not None for t in TARGETS)
        assert SHAPES.value(shape, SH.path) is None
        used = any(SHAPES.subjects(p, shape) for p in (SH.node, SH.qualifiedValueShape))
        listed = any(shape in Collection(SHAPES, lst) for lst in SHAPES.objects(None, SH["or"]))
        assert used or listed, f"{shape} is not used by any shape"


def test_severities_are_explicit_on_every_result_producing_shape():
    for shape in TARGETED | PROPERTY_SHAPES:
        documentation = (RDF.type, RDFS.label, SH.message, SH.description, SH.name, SH.property)
        has_constraints = any(p not in (*documentation, *TARGETS) for p in SHAPES.predicates(shape))
        if has_constraints:
            assert SHAPES.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape


def test_shapes_graph_has_a_versioned_header():
    header = rdflib.URIRef("https://w3id.org/kgraph/shapes")
    assert (header, RDF.type, OWL.Ontology) in SHAPES
    assert SHAPES.value(header, OWL.versionInfo) is not None
    assert SHAPES.value(header, OWL.versionIRI) is not None
    assert _texts(header, RDFS.label) == Counter({"ja": 1, "en": 1})


# ---------------------------------------------------------------------------
# Characters of literals, on the shipped data, with each engine
# ---------------------------------------------------------------------------


def _with_bad_characters() -> tuple[list[ox.Quad], str]:
    """The shipped data with a NUL in an entry's Japanese overview, a BEL in its English
    one, and a tab, line feed and carriage return in its Japanese label (which are text)."""
    quads = parse_sources(shipped_sources(DEFAULT_BASE), DEFAULT_BASE)
    overview = ox.NamedNode(KGO + "overview")
    label = ox.NamedNode(str(RDFS.label))
    entry = sorted(q.subject.value for q in quads if q.predicate == overview)[0]
    out = []
    for q in quads:
        o = q.object
        if q.subject.value == entry and isinstance(o, ox.Literal) and o.language:
            if q.predicate == overview:
                text = o.value + ("\x00" * 8 if o.language == "ja" else "\x07")
                o = ox.Literal(text, language=o.language)
            elif q.predicate == label and o.language == "ja":
                o = ox.Literal("\t" + o.value + "\n（改行）\r\n", language="ja")
        out.append(ox.Quad(q.subject, q.predicate, o, q.graph_name))
    return out, entry


@pytest.mark.parametrize("engine", ["pyshacl", "turbo"])
def test_control_characters_in_a_literal_are_refused(engine, monkeypatch):
    if engine == "turbo" and not turbo_available():
        pytest.skip("pyshacl-turbo is not installed")
    monkeypatch.setenv("KGRAPH_SHACL_ENGINE", engine)
    quads, entry = _with_bad_characters()
    report = validate_dataset(quads, base=DEFAULT_BASE, cache_dir=None, workers=1)
    assert not report.conforms
    found = [r for r in report.results if r.shape == KGS + "TextCharactersShape"]
    assert sorted((r.focus, r.path, r.severity) for r in found) == [
        (entry, KGO + "overview", "Violation")
    ] * 2
    codes = []
    for r in found:
        assert r.value is not None
        code = "U+0000" if "\x00" in r.value else "U+0007" if "\x07" in r.value else None
        codes.append(code)
        for lang in ("ja", "en"):
            assert code in r.message(lang) and KGO + "overview" in r.message(lang), r.messages
    assert sorted(codes) == ["U+0000", "U+0007"]
    # nothing else: the tab and line breaks in the label are text
    assert report.count("Violation") == 2
