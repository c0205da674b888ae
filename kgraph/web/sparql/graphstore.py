"""Graph Store Protocol, read side: ``GET``/``HEAD`` of ``?default`` or ``?graph=IRI``.

Served at ``/sparql`` (when no query is given) and at ``/rdf-graph-store``, in Turtle,
N-Triples, JSON-LD or RDF/XML by ``Accept`` or ``format``.  ``?default`` is the
default graph as queries see it: the union of all graphs (each triple once).
An unknown graph is 404.  Harvesters revalidate cheaply: conditional GET is the
site's (:mod:`kgraph.web.http.caching`).

Reading a graph is linear in its size and cannot run away, so it is served from
the web process's own read-only handle, without an executor; it is not cut by the
row cap (a harvester must get the whole graph).  Writes (PUT, POST, DELETE) are
refused with 405: the public store is read-only.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from ...engine.results import serialise_graph
from ...iris import PREFIXES
from ..http.conneg import RDF_TYPES, negotiate
from ..http.errors import ApiError
from ..state import current_state
from .protocol import MSG, Params


def graph_triples(store: ox.Store, graph: str | None) -> list[ox.Triple]:
    """The triples of one named graph, or of the union default graph (no duplicates)."""
    if graph is None:
        triples = (q.triple for q in store.quads_for_pattern(None, None, None, None))
        return list(dict.fromkeys(triples))
    name = ox.NamedNode(graph)
    return [q.triple for q in store.quads_for_pattern(None, None, None, name)]


def serve_graph(params: Params) -> Response:
    graph = params.one("graph")
    if (graph is None) == (not params.has("default")):
        raise ApiError(400, MSG["gsp_params"])
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError:
            raise ApiError(400, MSG["iri"].format(name="graph", value=graph)) from None
    media_type = negotiate(request, RDF_TYPES)
    state = current_state()
    store = state.reader()
    if graph is not None and not store.contains_named_graph(ox.NamedNode(graph)):
        raise ApiError(404, MSG["no_graph"].format(iri=graph))
    body = serialise_graph(graph_triples(store, graph), media_type, PREFIXES)
    response = Response(body, status=200)
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    response.vary.add("Accept")
    return response
