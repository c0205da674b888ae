"""Real SPARQL clients against the real server: SPARQLWrapper, rdflib's SPARQLStore, curl."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from support.server import ServerURL, running_server

pytestmark = pytest.mark.server

SELECT = """SELECT ?s ?v WHERE { ?s <http://example.org/value> ?v FILTER(?v < 3) }
            ORDER BY ?v ?s"""


@pytest.fixture(scope="module")
def endpoint(small_data: str) -> Iterator[str]:
    with running_server("--data", small_data) as url:
        yield url + "sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str | None = None) -> object:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method:
        client.setMethod(method)
    return client.query().convert()


def test_sparqlwrapper_json(endpoint: str) -> None:
    for method in (None, POST):
        result = wrapper(endpoint, SELECT, JSON, method)
        rows = result["results"]["bindings"]  # type: ignore[index]
        assert len(rows) == 10  # values 0, 1, 2 in three graphs, -1 in the default graph
        assert rows[0]["v"]["value"] == "-1"


def test_sparqlwrapper_xml(endpoint: str) -> None:
    document = wrapper(endpoint, SELECT, XML)
    results = document.getElementsByTagName("result")  # type: ignore[attr-defined]
    assert len(results) == 10
    ask = wrapper(endpoint, "ASK { ?s ?p ?o }", XML)
    assert ask.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[attr-defined]


def test_sparqlwrapper_csv(endpoint: str) -> None:
    data = wrapper(endpoint, SELECT, CSV)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))  # type: ignore[attr-defined]
    assert rows[0] == ["s", "v"]
    assert len(rows) == 11


def test_sparqlwrapper_turtle_construct(endpoint: str) -> None:
    data = wrapper(endpoint, "CONSTRUCT WHERE { ?s <http://example.org/value> 1 }", TURTLE)
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert len(graph) == 3
    described = wrapper(endpoint, "DESCRIBE <http://example.org/item/0-0>", TURTLE)
    assert len(rdflib.Graph().parse(data=described, format="turtle")) == 2


def test_sparqlwrapper_bad_query_is_reported(endpoint: str) -> None:
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    with pytest.raises(QueryBadFormed):
        wrapper(endpoint, "SELECT * WHERE { ?s ", JSON)


def test_rdflib_sparql_store(endpoint: str) -> None:
    store = SPARQLStore(endpoint)
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(SELECT))
    assert len(rows) == 10
    assert rows[0][1] == rdflib.Literal(-1)
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    value = rdflib.URIRef("http://example.org/value")
    assert len(list(graph.triples((None, value, rdflib.Literal(2))))) == 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(endpoint: str) -> None:
    out = subprocess.run(
        ["curl", "-sS", "--fail", "-G", endpoint, "--data-urlencode", f"query={SELECT}",
         "-H", "Accept: application/sparql-results+json"],
        check=True, capture_output=True, timeout=60,
    )
    assert len(json.loads(out.stdout)["results"]["bindings"]) == 10
    out = subprocess.run(
        ["curl", "-sS", "-i", endpoint, "-H", "Content-Type: application/sparql-query",
         "-H", "Accept: text/csv", "--data-binary", SELECT],
        check=True, capture_output=True, timeout=60,
    )
    head, _, body = out.stdout.decode().partition("\r\n\r\n")
    assert "content-type: text/csv; charset=utf-8" in head.lower()
    assert body.splitlines()[0] == "s,v"
    bad = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-G", endpoint,
         "--data-urlencode", "query=SELECT * {"],
        check=True, capture_output=True, timeout=60,
    )
    assert bad.stdout == b"400"


def test_shipped_data_through_sparqlwrapper(server: ServerURL) -> None:
    """The default server: the shipped data, validated, served with the union default graph."""
    result = wrapper(server + "sparql", """
        SELECT (COUNT(DISTINCT ?g) AS ?graphs) WHERE { GRAPH ?g { ?s ?p ?o } }""", JSON)
    graphs = int(result["results"]["bindings"][0]["graphs"]["value"])  # type: ignore[index]
    assert graphs >= 2
    ontology = wrapper(server + "sparql", """
        ASK { GRAPH ?g { <https://w3id.org/kgraph/ontology> a owl:Ontology }
              FILTER(STRENDS(STR(?g), "graph/ontology")) }""", JSON)
    assert ontology["boolean"] is True  # type: ignore[index]
