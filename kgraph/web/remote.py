"""Serving from a remote SPARQL 1.1 endpoint instead of the embedded store.

``server.py --sparql-backend URL`` (``KGRAPH_SPARQL_BACKEND``) is the path past one
machine: the data lives in a SPARQL engine that scales out (a cluster, or replicas
behind a load balancer), and kgraph stays the public face - protocol checks
(``SERVICE``/``LOAD`` refused, row cap, time budget, errors in Japanese and English),
linked-data pages, catalogue, dumps.

* ``/sparql`` queries are forwarded with the predeclared ``BASE`` and ``PREFIX``
  lines written out, the protocol's dataset parameters passed on, and the time
  budget as the HTTP timeout.  Answers come back as TSV (SELECT), JSON (ASK) or
  N-Triples (CONSTRUCT/DESCRIBE) and are cut at the row cap and serialised by
  :mod:`kgraph.engine.results`, exactly as for the embedded store.
* Pages read through :class:`RemoteStore`, which offers the part of
  :class:`pyoxigraph.Store` that they use (``query``, ``quads_for_pattern``,
  ``contains_named_graph``, ``len``) over the SPARQL protocol.
* Updates are refused: they go to the backend itself, which owns the data.

The backend must answer queries without a dataset over the union of its named
graphs, as kgraph does (``oxigraph serve --union-default-graph``, Fuseki's
``unionDefaultGraph``, Virtuoso's default).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence

import pyoxigraph as ox
import requests

from ..engine.results import (
    RESULT_FORMATS,
    Dataset,
    Outcome,
    serialise_solutions,
    serialise_triples,
)

TSV = "text/tab-separated-values"
JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


class BackendError(Exception):
    """The backend could not be reached or answered with a server error."""


class BackendTimeout(BackendError):
    """The backend did not answer within the time budget."""


_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        _local.session = session
    return session


def prologue(base_iri: str | None, prefixes: Mapping[str, str] | None) -> str:
    """``BASE`` and ``PREFIX`` lines; the query's own declarations, coming later, win."""
    lines = [f"BASE <{base_iri}>"] if base_iri else []
    lines += [f"PREFIX {name}: <{iri}>" for name, iri in (prefixes or {}).items()]
    return "\n".join(lines) + ("\n" if lines else "")


def post_query(
    url: str, text: str, accept: str, *, dataset: Dataset | None = None, timeout: float = 30.0
) -> requests.Response:
    """POST a query (form-encoded, as every SPARQL 1.1 endpoint accepts)."""
    data: list[tuple[str, str]] = [("query", text)]
    if dataset is not None:
        data += [("default-graph-uri", g) for g in dataset.default_graphs]
        data += [("named-graph-uri", g) for g in dataset.named_graphs]
    try:
        return _session().post(url, data=data, headers={"Accept": accept}, timeout=timeout)
    except requests.Timeout as error:
        raise BackendTimeout(str(error)) from error
    except requests.RequestException as error:
        raise BackendError(f"{url}: {error}") from error


def forward_query(
    url: str,
    text: str,
    *,
    form: str | None,
    dataset: Dataset,
    result_type: str | None,
    graph_type: str | None,
    max_rows: int,
    base_iri: str | None,
    prefixes: Mapping[str, str] | None,
    budget: float,
) -> Outcome:
    """Run a query on the backend; the answer as the embedded store would give it."""
    full = prologue(base_iri, prefixes) + text
    if form == "SELECT" or (form is None and result_type is not None):
        accept = TSV if form == "SELECT" else f"{JSON}, {NTRIPLES};q=0.9"
    elif form == "ASK":
        accept = JSON
    else:
        accept = NTRIPLES
    response = post_query(url, full, accept, dataset=dataset, timeout=budget)
    if response.status_code >= 500:
        raise BackendError(f"{url} answered {response.status_code}: {response.text[:500]}")
    if response.status_code >= 400:
        detail = response.text.strip()[:2000] or f"HTTP {response.status_code}"
        kind = "syntax" if "pars" in detail.lower() or "syntax" in detail.lower() else "query"
        return Outcome(400, error=kind, detail=detail)
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    body = response.content
    if media == TSV:
        if result_type is None:
            return Outcome(406, error="not-acceptable", form="SELECT")
        solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        return serialise_solutions(solutions, result_type, max_rows)
    if media in (JSON, "application/json"):
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if isinstance(parsed, ox.QueryBoolean):
            if result_type is None:
                return Outcome(406, error="not-acceptable", form="ASK")
            data = parsed.serialize(format=RESULT_FORMATS[result_type])
            return Outcome(200, result_type, data, form="ASK")
        if result_type is None:
            return Outcome(406, error="not-acceptable", form="SELECT")
        return serialise_solutions(parsed, result_type, max_rows)
    if graph_type is None:
        return Outcome(406, error="not-acceptable", form="CONSTRUCT")
    triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
    return serialise_triples(triples, graph_type, max_rows, prefixes)  # type: ignore[arg-type]


class RemoteStore:
    """What the pages need of :class:`pyoxigraph.Store`, over the SPARQL protocol."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def _post(self, text: str, accept: str) -> requests.Response:
        response = post_query(self.url, text, accept, timeout=self.timeout)
        if response.status_code != 200:
            raise BackendError(f"{self.url} answered {response.status_code}: "
                               f"{response.text[:500]}")
        return response

    def query(
        self,
        text: str,
        *,
        use_default_graph_as_union: bool = False,
        prefixes: Mapping[str, str] | None = None,
        base_iri: str | None = None,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
    ):  # type: ignore[no-untyped-def]
        """SELECT/ASK results as pyoxigraph parses them; CONSTRUCT/DESCRIBE as triples.

        Without a dataset the backend's default graph is the union of its graphs,
        whatever ``use_default_graph_as_union`` says (see the module docstring).
        """
        from ..engine.sparql_text import analyse

        del use_default_graph_as_union
        full = prologue(base_iri, prefixes) + text
        form = analyse(text).form
        dataset = None
        if default_graph or named_graphs:
            dataset = Dataset([g.value for g in default_graph or []],
                              [g.value for g in named_graphs or []])
        if form in ("CONSTRUCT", "DESCRIBE"):
            response = post_query(self.url, full, NTRIPLES, dataset=dataset, timeout=self.timeout)
            if response.status_code != 200:
                raise ValueError(response.text[:500])
            return list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        response = post_query(self.url, full, JSON, dataset=dataset, timeout=self.timeout)
        if response.status_code != 200:
            raise ValueError(response.text[:500])
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads of the named graphs that match (the backend's default graph is their
        union, so it is not read again)."""
        s = str(subject) if subject is not None else "?s"
        p = str(predicate) if predicate is not None else "?p"
        o = str(object) if object is not None else "?o"
        if isinstance(graph_name, ox.DefaultGraph):
            return iter(())
        g = str(graph_name) if graph_name is not None else "?g"
        text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}"
        if any(isinstance(t, ox.BlankNode) for t in (subject, object)):
            return iter(())  # blank nodes cannot be named in a query to another store
        response = self._post(text, TSV)
        solutions = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.TSV)

        def quads() -> Iterator[ox.Quad]:
            for row in solutions:
                yield ox.Quad(
                    subject if subject is not None else row["s"],
                    predicate if predicate is not None else row["p"],
                    object if object is not None else row["o"],
                    graph_name if graph_name is not None else row["g"],
                )

        return quads()

    def contains_named_graph(self, graph_name: ox.NamedNode) -> bool:
        response = self._post(f"ASK {{ GRAPH {graph_name} {{ ?s ?p ?o }} }}", JSON)
        return bool(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        response = self._post("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", TSV)
        rows = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.TSV)
        return iter([row["g"] for row in rows])

    def __len__(self) -> int:
        response = self._post("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", TSV)
        rows = list(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.TSV))
        return int(rows[0]["n"].value) if rows else 0
