"""The synthetic municipalities used for scale measurements (kgraph.synthetic).

They must be valid data of the same model: the same shapes accept them (no
Violation), each municipality is one named graph that shares no instance with
another, and a plan has the size the benchmark claims (5 directions, 150
transcribed entries).
"""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from kgraph.config import DEFAULT_BASE
from kgraph.iris import KGO
from kgraph.synthetic import (
    PLACEHOLDER,
    generate,
    municipality_graph,
    municipality_slug,
    ontology_nquads,
    template,
)
from kgraph.validation import validate_quads

BASE = DEFAULT_BASE


@pytest.fixture(scope="module")
def two_municipalities() -> list[ox.Quad]:
    text = ontology_nquads(BASE) + "".join(
        template(BASE).replace(PLACEHOLDER, municipality_slug(i)) for i in (1, 2)
    )
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def test_synthetic_data_conforms_to_the_shapes(two_municipalities) -> None:
    report = validate_quads(two_municipalities)
    violations = [r for r in report.results if r.severity == "Violation"]
    assert violations == []
    # What the shipped data warns about (no responsible department), once per entry.
    assert report.count("Warning") == 2 * 150


def test_each_municipality_is_one_graph_and_shares_no_instance(two_municipalities) -> None:
    graphs: dict[str, set[str]] = {}
    for q in two_municipalities:
        graphs.setdefault(q.graph_name.value, set()).add(q.subject.value)
    first, second = (municipality_graph(BASE, municipality_slug(i)) for i in (1, 2))
    assert set(graphs) == {first, second, BASE + "graph/ontology"}
    assert graphs[first].isdisjoint(graphs[second])
    assert all(s.startswith(BASE + "id/") and "city-00001" in s for s in graphs[first])


def test_plan_size(two_municipalities) -> None:
    store = ox.Store()
    store.bulk_extend(two_municipalities)
    graph = municipality_graph(BASE, municipality_slug(1))
    counts = Counter()
    query = f"""SELECT ?class (COUNT(?x) AS ?n) WHERE {{
        GRAPH <{graph}> {{ ?x a ?class }}
    }} GROUP BY ?class"""
    for row in store.query(query):
        counts[row["class"].value.removeprefix(KGO)] = int(row["n"].value)
    assert counts["BasicDirection"] == 5
    assert counts["Policy"] == 40  # 25 transcribed, 10 referred to, 5 originals of re-listings
    assert counts["PlanEntry"] == 180  # 150 transcribed, 30 referred to
    transcribed = f"""SELECT (COUNT(?e) AS ?n) WHERE {{ GRAPH <{graph}> {{
        ?e a <{KGO}PlanEntry> FILTER NOT EXISTS {{ ?e <{KGO}describedElsewhere> true }} }} }}"""
    assert int(next(iter(store.query(transcribed)))["n"].value) == 150


def test_generate_writes_about_the_size_asked(tmp_path) -> None:
    made = generate(tmp_path, 50_000, BASE, per_file=2)
    per = made.quads_per_municipality
    assert made.municipalities == round((50_000 - made.ontology_quads) / per)
    written = sum(
        len(list(ox.parse(path=str(f), format=ox.RdfFormat.N_QUADS))) for f in made.files
    )
    assert written == made.quads
    assert abs(made.quads - 50_000) < made.quads_per_municipality
