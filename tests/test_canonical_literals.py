"""The data reads back from a store exactly as it is written in the files.

Oxigraph stores literals in canonical form: every derived integer type
(``xsd:positiveInteger``, ``xsd:int`` …) becomes ``xsd:integer``, ``"01"`` becomes
``"1"``, ``"5.0"^^xsd:decimal`` becomes ``"5"`` (oxigraph/oxigraph#1413).  A literal
written in any other form would be served, validated, diffed and exported as
something other than what the files say.  So every literal in the data must already
be in the form the store keeps, and the store's copy must validate exactly as the
files do.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kgraph.config import DEFAULT_BASE
from kgraph.dataset import parse_sources
from kgraph.sources import shipped_sources, sources_for_files
from kgraph.validation import load_shapes, validate_quads

BASE = DEFAULT_BASE
FIXTURES = Path(__file__).parent / "fixtures"
#: Fixture data that other tests load into stores.
STORED_FIXTURES = sorted((FIXTURES / "staff").glob("*.ttl")) + sorted(
    (FIXTURES / "linkeddata").glob("*.ttl")
)


def stored(quads: list[ox.Quad]) -> set[ox.Quad]:
    store = ox.Store()
    store.extend(quads)
    return set(store)


def changed(parsed: list[ox.Quad], back: set[ox.Quad]) -> list[str]:
    """The literals the store changed, as ``written → stored`` lines."""
    lost = set(parsed) - back
    added = {(q.subject, q.predicate, q.graph_name): q.object for q in back - set(parsed)}
    lines = []
    for q in sorted(lost, key=str):
        now = added.get((q.subject, q.predicate, q.graph_name))
        lines.append(f"{q.subject} {q.predicate}: {q.object} → {now}")
    return lines


@pytest.fixture(scope="module")
def shipped() -> list[ox.Quad]:
    return parse_sources(shipped_sources(BASE), BASE)


def test_the_shipped_data_reads_back_from_a_store_unchanged(shipped):
    back = stored(shipped)
    assert not changed(shipped, back), "\n".join(changed(shipped, back)[:20])
    assert back == set(shipped)


def test_the_data_uses_only_the_literal_forms_the_store_keeps(shipped):
    """No derived integer type at all: the shapes ask for xsd:integer and a minimum."""
    datatypes = {q.object.datatype.value for q in shipped if isinstance(q.object, ox.Literal)}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    derived = {"positiveInteger", "nonNegativeInteger", "int", "long", "short", "byte"}
    assert not {xsd + name for name in derived} & datatypes


def test_the_store_copy_validates_exactly_as_the_files(shipped):
    shapes = load_shapes()
    from_files = validate_quads(shipped, shapes)
    store = ox.Store()
    store.extend(shipped)
    from_store = validate_quads(list(store), shapes)
    assert from_store.conforms and from_files.conforms
    key = lambda r: (r.focus, r.path, r.severity, r.shape, r.constraint, r.value)  # noqa: E731
    assert sorted(map(key, from_store.results)) == sorted(map(key, from_files.results))


@pytest.mark.parametrize("path", STORED_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_data_reads_back_from_a_store_unchanged(path):
    parsed = parse_sources(sources_for_files([path], BASE), BASE)
    back = stored(parsed)
    assert back == set(parsed), "\n".join(changed(parsed, back)[:20])
