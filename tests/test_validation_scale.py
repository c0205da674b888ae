"""Validation that scales gives the report that validating the whole union gives.

* the two engines (pySHACL, the default, and the opt-in pyshacl-turbo) agree result for result,
  also where a few SPARQL constraints are evaluated in one query each
  (kgraph.sparql_constraints);
* per-unit validation (kgraph.validation_units: per named graph, in parallel) equals
  whole-graph validation, on the shipped data and on synthetic municipalities with
  violations planted in some of them and in the shared ontology;
* it is incremental: unchanged units come from the cache, a changed one is validated
  again;
* a unit whose data changes the results of a shared resource is detected.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import rdflib

from kgraph.config import DEFAULT_BASE, PROJECT_ROOT
from kgraph.dataset import parse_sources
from kgraph.iris import KGO
from kgraph.sources import shipped_sources
from kgraph.sparql_constraints import BATCHED, batched_constraints
from kgraph.synthetic import PLACEHOLDER, municipality_slug, ontology_nquads, template
from kgraph.validation import (
    _result_order,
    load_shapes,
    report_from_graph,
    report_graph_of,
    turbo_available,
    validate_graph,
    validate_quads,
)
from kgraph.validation_units import UnitsDisagree, UnitStats, partition, validate_units

BASE = DEFAULT_BASE
SCHEMA_POSITION = ox.NamedNode("https://schema.org/position")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(autouse=True)
def faster_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-unit validation is engine-independent; check it with the faster engine when
    installed, so the suite stays quick.  ``test_engines_agree_*`` show that pySHACL, the
    default engine, gives the same reports."""
    if turbo_available():
        monkeypatch.setenv("KGRAPH_SHACL_ENGINE", "turbo")


def sorted_results(report):  # type: ignore[no-untyped-def]
    return sorted(report.results, key=_result_order)


def entry(city: int, number: str) -> str:
    return f"{BASE}id/plan/{municipality_slug(city)}-2022/entry/{number}"


def municipalities(*indexes: int) -> list[ox.Quad]:
    text = ontology_nquads(BASE) + "".join(
        template(BASE).replace(PLACEHOLDER, municipality_slug(i)) for i in indexes
    )
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def plant_errors(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Violations in municipalities 2 and 3, and a warning on a shared ontology term."""
    out = []
    entry_number = ox.NamedNode(KGO + "entryNumber")
    confidence = ox.NamedNode(KGO + "interpretationConfidence")
    for q in quads:
        s = q.subject.value
        if s == entry(2, "005") and q.predicate == entry_number:
            continue  # a transcribed entry without its number
        if s == entry(2, "001") + "/activity/2" and q.predicate == SCHEMA_POSITION:
            q = ox.Quad(q.subject, q.predicate, ox.Literal("1", datatype=q.object.datatype),
                        q.graph_name)  # two activities at position 1
        if municipality_slug(3) in s and q.predicate == confidence:
            q = ox.Quad(q.subject, q.predicate, ox.NamedNode(KGO + "NotAConcept"), q.graph_name)
        if (s == KGO + "MediumConfidence" and q.predicate == RDFS_LABEL
                and q.object.language == "en"):
            continue  # the shared code list loses an English label
        out.append(q)
    return out


@pytest.fixture(scope="module")
def shapes():  # type: ignore[no-untyped-def]
    return load_shapes()


@pytest.fixture(scope="module")
def shipped() -> list[ox.Quad]:
    return parse_sources(shipped_sources(BASE), BASE)


@pytest.fixture(scope="module")
def planted() -> list[ox.Quad]:
    return plant_errors(municipalities(1, 2, 3))


@pytest.fixture(scope="module")
def planted_whole(planted, shapes):  # type: ignore[no-untyped-def]
    return validate_quads(planted, shapes, engine="turbo" if turbo_available() else None)


def test_planted_errors_are_found(planted_whole) -> None:
    violations = {(r.focus, r.shape.rsplit("#")[-1]) for r in planted_whole.results
                  if r.severity == "Violation"}
    foci = {focus for focus, _ in violations}
    assert entry(2, "005") in foci
    assert any(municipality_slug(3) in focus for focus in foci)
    assert any(r.focus == KGO + "MediumConfidence" for r in planted_whole.results)
    assert not any(municipality_slug(1) in focus for focus in foci)


@pytest.mark.skipif(not turbo_available(), reason="pyshacl-turbo is not installed")
def test_engines_agree_on_the_shipped_data(shipped, shapes) -> None:
    turbo = validate_quads(shipped, shapes, engine="turbo")
    pyshacl = validate_quads(shipped, shapes, engine="pyshacl")
    assert sorted_results(turbo) == sorted_results(pyshacl)


@pytest.mark.skipif(not turbo_available(), reason="pyshacl-turbo is not installed")
def test_engines_agree_on_a_municipality_with_errors(shapes) -> None:
    """A municipality with planted errors, cut to its first twelve entries (pySHACL
    takes ~3 s on that and ~21 s on all of it; the cut leaves policies naming
    entries that are gone: more results for the engines to agree on)."""
    quads = [q for q in plant_errors(municipalities(2))
             if _early(q.subject) and _early(q.object)]
    turbo = validate_quads(quads, shapes, engine="turbo")
    pyshacl = validate_quads(quads, shapes, engine="pyshacl")
    assert sorted_results(turbo) == sorted_results(pyshacl)
    assert turbo.count("Violation") >= 2


_ENTRY_NUMBER = re.compile(r"/entry/(\d{3})")


def _early(term: object) -> bool:
    """Not a term of an entry after the twelfth (or its activities)."""
    found = _ENTRY_NUMBER.search(getattr(term, "value", "") or "")
    return found is None or int(found.group(1)) <= 12


@pytest.mark.skipif(not turbo_available(), reason="pyshacl-turbo is not installed")
@pytest.mark.parametrize("name", BATCHED)
@pytest.mark.parametrize("fixture", ["valid.ttl", "invalid.ttl"])
def test_constraints_evaluated_in_one_query_agree_with_the_engine(name, fixture, shapes) -> None:
    """kgraph.sparql_constraints on a store = the engine alone on the same graph."""
    graph = rdflib.Graph()
    graph.parse(PROJECT_ROOT / "ontology" / "kgo.ttl")
    graph.parse(PROJECT_ROOT / "tests" / "fixtures" / "shapes" / name / fixture)
    store = ox.Store()
    store.bulk_extend(ox.parse(graph.serialize(format="nt").encode(),
                               format=ox.RdfFormat.N_TRIPLES))
    assert any(c.shape.endswith(name) for c in batched_constraints(shapes))
    batched = report_from_graph(report_graph_of(store, shapes, "turbo"), shapes)
    engine_only = validate_graph(graph, shapes, "turbo")  # a graph: no batching
    assert sorted_results(batched) == sorted_results(engine_only)


def test_the_shipped_data_is_one_unit(shipped) -> None:
    shared, units = partition(shipped, [BASE + "graph/ontology"])
    names = [set(u.graphs) for u in units]
    assert {BASE + "graph/plan", BASE + "graph/entries", BASE + "graph/mentions"} <= names[0]
    assert all(q.graph_name.value == BASE + "graph/ontology" for q in shared)


def test_units_equal_whole_on_the_shipped_data(shipped, shapes) -> None:
    whole = validate_quads(shipped, shapes)
    units = validate_units(shipped, base=BASE, workers=1)
    assert sorted_results(units) == sorted_results(whole)
    assert units.conforms == whole.conforms


def test_units_equal_whole_with_planted_errors(planted, planted_whole) -> None:
    stats = UnitStats()
    units = validate_units(planted, base=BASE, workers=2, stats=stats)
    assert stats.units == 3 and stats.validated == 3 and stats.workers == 2
    assert sorted_results(units) == sorted_results(planted_whole)
    assert not units.conforms
    # The merged report graph holds every result once, under one report node.
    from rdflib.namespace import RDF, SH

    graph = rdflib.Graph().parse(data=units.turtle, format="turtle")
    assert len(list(graph.subjects(RDF.type, SH.ValidationResult))) == len(units.results)
    (root,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(root, SH.conforms).toPython() is False
    assert len(list(graph.objects(root, SH.result))) == len(units.results)


def test_units_are_incremental(tmp_path, planted, shapes) -> None:
    cache = str(tmp_path)
    first = UnitStats()
    validate_units(planted, base=BASE, cache_dir=cache, workers=1, stats=first)
    assert (first.validated, first.cached) == (3, 0)
    again = UnitStats()
    validate_units(planted, base=BASE, cache_dir=cache, workers=1, stats=again)
    assert (again.validated, again.cached) == (0, 3)
    # Municipality 2 repaired: only its unit is validated again.
    repaired = [q for q in planted if municipality_slug(2) not in q.graph_name.value]
    repaired += [q for q in municipalities(2) if municipality_slug(2) in q.graph_name.value]
    changed = UnitStats()
    report = validate_units(repaired, base=BASE, cache_dir=cache, workers=1, stats=changed)
    assert (changed.validated, changed.cached) == (1, 2)
    assert sorted_results(report) == sorted_results(validate_quads(repaired, shapes))


def test_data_of_shared_graphs_only_is_cached_too(tmp_path, shipped) -> None:
    """A dataset with no unit graphs (the ontology and shared graphs alone) is one
    unit, and its report comes from the cache the second time."""
    from kgraph.validation_units import default_shared, partition

    shared, units = partition(shipped, default_shared(BASE))
    assert units, "the shipped data has a unit"
    first, again = UnitStats(), UnitStats()
    validate_units(shared, base=BASE, cache_dir=str(tmp_path), workers=1, stats=first)
    validate_units(shared, base=BASE, cache_dir=str(tmp_path), workers=1, stats=again)
    assert (first.validated, first.cached) == (1, 0)
    assert (again.validated, again.cached) == (0, 1)


def test_a_graph_describing_what_another_refers_to_joins_its_unit(shapes) -> None:
    quads = municipalities(1, 2)
    graph = ox.NamedNode(BASE + "graph/municipality/" + municipality_slug(2))
    # Municipality 2 gives a shared code-list concept (which municipality 1 uses) a
    # second Japanese label: the two municipalities become one unit.
    quads.append(ox.Quad(ox.NamedNode(KGO + "MediumConfidence"), RDFS_LABEL,
                         ox.Literal("別名", language="ja"), graph))
    stats = UnitStats()
    report = validate_units(quads, base=BASE, workers=1, stats=stats)
    assert stats.units == 1
    assert sorted_results(report) == sorted_results(validate_quads(quads, shapes))
    assert not report.conforms


def test_a_unit_that_changes_shared_results_is_refused() -> None:
    quads = municipalities(1, 2)
    graph = ox.NamedNode(BASE + "graph/municipality/" + municipality_slug(2))
    # Municipality 2 adds its own concept to a shared code list with a notation the
    # list already uses: the shared concept's result changes in that unit only.
    concept = ox.NamedNode(BASE + "id/concept/city-00002-medium")
    skos = "http://www.w3.org/2004/02/skos/core#"
    quads += [
        ox.Quad(concept, ox.NamedNode(skos + "inScheme"), ox.NamedNode(KGO + "ConfidenceLevels"),
                graph),
        ox.Quad(concept, ox.NamedNode(skos + "notation"), ox.Literal("medium"), graph),
    ]
    with pytest.raises(UnitsDisagree):
        validate_units(quads, base=BASE, workers=1)
