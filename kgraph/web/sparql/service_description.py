"""The SPARQL 1.1 Service Description answered by ``GET /sparql`` without a query.

It names the endpoint (the URL the client used), the languages (SPARQL 1.1 Query;
Update only when an operator token is configured), the result formats, the features
(``sd:UnionDefaultGraph``; ``sd:BasicFederatedQuery`` only when hosts are
allow-listed), and the default dataset: its union default graph and every named
graph with its triple count (``void:triples``).  Counts are computed once per
snapshot.  Served as Turtle, JSON-LD, RDF/XML or N-Triples by ``Accept``; a browser
(``text/html`` preferred) gets the query page instead (:mod:`kgraph.web.pages.query_page`).
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from ... import formats
from ...engine.results import serialise_graph
from ...iris import PREFIXES
from ..http.conneg import RDF_TYPES, TURTLE, NotAcceptable, negotiate
from ..state import AppState, current_state

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ENTAILMENT_SIMPLE = "http://www.w3.org/ns/entailment/Simple"

#: The formats the endpoint answers in, as pyoxigraph names them (``formats:Turtle``...).
RESULT_FORMATS = (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)

def graph_counts(state: AppState) -> tuple[int, dict[str, int]]:
    """(distinct triples of the union, {named graph: triples}) for the served data."""
    return state.per_version("graph-counts", lambda: _graph_counts(state.reader()))


def _graph_counts(store) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    per_graph = {
        s["g"].value: int(s["n"].value)
        for s in store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        if isinstance(s["g"], ox.NamedNode)
    }
    union = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
        use_default_graph_as_union=True,
    )
    total = int(next(iter(union))["n"].value)
    return total, dict(sorted(per_graph.items()))


def description(state: AppState, endpoint: str) -> list[ox.Triple]:
    """The service description's triples."""
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    service = ox.NamedNode(endpoint)
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultEntailmentRegime"), ox.NamedNode(ENTAILMENT_SIMPLE)),
    ]
    if state.config.update_token:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    if state.config.allowed_hosts:
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for format in RESULT_FORMATS:
        iri = ox.NamedNode(formats.format_iri(format))
        triples.append(ox.Triple(service, sd("resultFormat"), iri))
    total, per_graph = graph_counts(state)
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    triples += [
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, sd("Graph")),
        ox.Triple(default, ox.NamedNode(VOID + "triples"), ox.Literal(str(total),
                  datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
    ]
    for i, (name, count) in enumerate(per_graph.items()):
        named = ox.BlankNode(f"namedGraph{i}")
        graph = ox.BlankNode(f"graph{i}")
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(count),
                      datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
        ]
    return triples


def describe() -> Response:
    """The service description in the negotiated RDF format."""
    try:
        media_type = negotiate(request, RDF_TYPES)
    except NotAcceptable:
        if not request.accept_mimetypes.accept_html:
            raise
        media_type = TURTLE
    state = current_state()
    prefixes = {"sd": SD, "formats": FORMATS, "void": VOID, **PREFIXES}
    body = serialise_graph(description(state, state.config.base + "sparql"), media_type,
                           prefixes)
    response = Response(body, status=200)
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    response.vary.add("Accept")
    return response
