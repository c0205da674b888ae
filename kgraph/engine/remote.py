"""A remote SPARQL 1.1 engine as the store: Oxigraph, Virtuoso, Fuseki, ...

``server.py --sparql-backend URL`` is the path past one machine: the data lives in a
SPARQL engine that scales out, and kgraph stays the public face (protocol checks,
row cap, time budget, errors in Japanese and English, pages, catalogue, dumps).

Engines differ in what their default graph is (Oxigraph with
``--union-default-graph`` and Fuseki's ``unionDefaultGraph``: the union of the named
graphs; Virtuoso: every graph it has, its own system graphs too).  So a query with
no dataset of its own is sent with the dataset made explicit: kgraph's named graphs
(those under ``<base>graph/``) as ``default-graph-uri`` and ``named-graph-uri``.
Results are asked for in the standard formats every engine writes the same way
(SPARQL JSON results, N-Triples) and re-serialised here, cut at the row cap, in
the format the client negotiated (:mod:`kgraph.engine.results`).

What engines still write differently is evened out here, so that clients, pages and
dumps see the data as the files say it (``tests/test_virtuoso_backend.py`` runs a real
Virtuoso 7): booleans in canonical form (Virtuoso's JSON writes ``"1"``/``"0"``); an
ASK answered with a row instead of a boolean (Virtuoso 7.2) read as the boolean; an
answer the engine cut at its own row limit is marked as cut (``X-SPARQL-MaxRows``)
and never read as whole data; a syntax error is reported against the client's own
text (an engine counts the lines of kgraph's prologue, and Virtuoso quotes the whole
rewritten query).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

import pyoxigraph as ox
import requests

from .results import RESULT_FORMATS, Dataset, Outcome, serialise_solutions, serialise_triples

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
#: The response header with which an engine says that it cut a result at its own
#: limit (Virtuoso: ``[SPARQL] ResultSetMaxRows``, 10000 in its shipped virtuoso.ini).
MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
#: xsd:boolean's other lexical forms and the canonical ones the data is written in.
_BOOLEANS = {"1": "true", "0": "false"}


class BackendError(Exception):
    """The backend answered with a server error, or something unreadable."""


class BackendUnavailable(BackendError):
    """The backend could not be reached."""


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
    """``BASE`` and ``PREFIX`` declarations; the query's own, coming later, win.

    All on one line that the client's first line continues, so that an engine's
    error message ("line 3: syntax error ...") counts the client's lines."""
    parts = [f"BASE <{base_iri}>"] if base_iri else []
    parts += [f"PREFIX {name}: <{iri}>" for name, iri in (prefixes or {}).items()]
    return " ".join(parts) + (" " if parts else "")


class RemoteEngine:
    """The SPARQL protocol client for one backend, with kgraph's dataset."""

    #: How long the list of kgraph's named graphs is trusted.
    GRAPHS_SECONDS = 60.0

    def __init__(self, url: str, base: str, timeout: float = 30.0) -> None:
        self.url = url
        self.base = base
        self.timeout = timeout
        self._graphs: tuple[float, list[str]] | None = None
        self._lock = threading.Lock()

    def post(self, text: str, accept: str, dataset: Dataset | None = None,
             timeout: float | None = None) -> requests.Response:
        """POST a query (form-encoded, as every SPARQL 1.1 endpoint accepts)."""
        data: list[tuple[str, str]] = [("query", text)]
        if dataset is not None:
            data += [("default-graph-uri", g) for g in dataset.default_graphs]
            data += [("named-graph-uri", g) for g in dataset.named_graphs]
        try:
            return _session().post(self.url, data=data, headers={"Accept": accept},
                                   timeout=timeout or self.timeout)
        except requests.Timeout as error:
            raise BackendTimeout(str(error)) from error
        except requests.ConnectionError as error:
            raise BackendUnavailable(f"{self.url}: {error}") from error
        except requests.RequestException as error:
            raise BackendError(f"{self.url}: {error}") from error

    def checked(self, text: str, accept: str, dataset: Dataset | None = None) -> bytes:
        """The body of a successful, whole answer (:class:`BackendError` otherwise).

        Pages, dumps and the data's version hash need every row: an answer that the
        engine cut at its own limit is an error here, not a silently shorter dump."""
        response = self.post(text, accept, dataset)
        if response.status_code != 200:
            raise BackendError(f"{self.url} answered {response.status_code}: "
                               f"{response.text[:500]}")
        cut = response.headers.get(MAX_ROWS_HEADER)
        if cut is not None:
            raise BackendError(
                f"{self.url} cut its answer at {cut} rows ({MAX_ROWS_HEADER}); kgraph reads "
                "whole answers for pages and dumps: raise the engine's result limit "
                "(Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini) above "
                "the number of quads")
        return response.content

    def graphs(self) -> list[str]:
        """kgraph's named graphs in the backend (those under ``<base>graph/``)."""
        with self._lock:
            found = self._graphs
            if found is not None and time.monotonic() < found[0]:
                return found[1]
        body = self.checked("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", JSON)
        prefix = self.base + "graph/"
        names = sorted(row["g"].value for row in parse_json_results(body)  # type: ignore[union-attr]
                       if row["g"].value.startswith(prefix))
        with self._lock:
            self._graphs = (time.monotonic() + self.GRAPHS_SECONDS, names)
        return names

    def dataset(self, asked: Dataset | None, has_dataset_clause: bool) -> Dataset | None:
        """The dataset to send: the client's, the query's own, else kgraph's graphs."""
        if asked is not None and asked.given:
            return asked
        if has_dataset_clause:
            return None
        graphs = self.graphs()
        return Dataset(list(graphs), list(graphs))

    def query(self, message: Mapping[str, object], budget: float) -> Outcome:
        """Run a protocol query (the message a sandbox would get) on the backend; the
        answer as the embedded store would give it."""
        text = str(message["text"])
        form = message.get("form")
        result_type = message.get("result_type")
        graph_type = message.get("graph_type")
        max_rows = int(message["max_rows"])  # type: ignore[call-overload]
        prefixes = message.get("prefixes")
        full = prologue(str(message.get("base_iri") or ""), prefixes) + text  # type: ignore[arg-type]
        asked = Dataset(list(message.get("default_graphs") or []),  # type: ignore[call-overload]
                        list(message.get("named_graphs") or []))  # type: ignore[call-overload]
        dataset = self.dataset(asked, bool(message.get("has_dataset_clause")))
        accept = NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else (
            JSON if form in ("SELECT", "ASK") else f"{JSON}, {NTRIPLES};q=0.9")
        response = self.post(full, accept, dataset, timeout=budget)
        if response.status_code >= 500:
            raise BackendError(f"{self.url} answered {response.status_code}: "
                               f"{response.text[:500]}")
        if response.status_code >= 400:  # (the text parsed here: the engine's own words)
            detail = backend_message(response.text) or f"HTTP {response.status_code}"
            lowered = detail.lower()
            kind = "syntax" if "pars" in lowered or "syntax" in lowered else "query"
            return Outcome(400, error=kind, detail=detail)
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            outcome = _reserialise(response.content, media, str(form or ""), result_type,
                                   graph_type, max_rows, prefixes,  # type: ignore[arg-type]
                                   int(message.get("max_bytes") or 0))  # type: ignore[call-overload]
        except (SyntaxError, ValueError) as error:
            raise BackendError(f"{self.url} answered what cannot be read: {error}") from error
        # The engine cut the result at its own limit, below kgraph's: the client must
        # learn that it has not got everything, as with kgraph's own cap.
        if MAX_ROWS_HEADER in response.headers and outcome.status == 200:
            outcome.truncated = True
        return outcome


def parse_json_results(body: bytes, form: str | None = None,
                       ) -> ox.QuerySolutions | ox.QueryBoolean:
    """SPARQL JSON results as pyoxigraph reads them, evened out across engines.

    * Booleans in canonical form: Virtuoso writes an xsd:boolean as ``"1"``/``"0"``
      in JSON (as ``"true"``/``"false"`` in N-Triples): the same value but another
      RDF term than the data's, so pages would show ``1``, dumps would differ from
      the files and a client could not match the term it got in its next query.
    * The answer to an ASK (``form``) as a boolean: Virtuoso 7.2's JSON (and XML)
      writer has none and answers with solutions of one variable, ``__ASK_RETVAL``:
      one row ``1`` for true, no row for false."""
    ask = form == "ASK"
    if ask or b"#boolean" in body:
        document = json.loads(body)
        bindings = (document.get("results") or {}).get("bindings") or []
        if ask and "boolean" not in document:
            truth = any(term.get("value") not in ("0", "false")
                        for row in bindings for term in row.values())
            document = {"head": {}, "boolean": truth}
        for row in bindings:
            for term in row.values():
                if term.get("datatype") == XSD_BOOLEAN and term.get("value") in _BOOLEANS:
                    term["value"] = _BOOLEANS[term["value"]]
        body = json.dumps(document).encode()
    return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)


def backend_message(text: str) -> str:
    """An engine's error message without the query it quotes back (Virtuoso appends
    ``SPARQL query:`` and the whole text it was sent, kgraph's prologue and dataset
    included; the client has its own text)."""
    return text.strip().split("\nSPARQL query:", 1)[0].strip()[:2000]


def _reserialise(body: bytes, media: str, form: str, result_type: str | None,
                 graph_type: str | None, max_rows: int, prefixes: Mapping[str, str] | None,
                 max_bytes: int = 0) -> Outcome:
    if media in (JSON, "application/json"):
        parsed = parse_json_results(body, form)
        if isinstance(parsed, ox.QueryBoolean):
            if result_type is None:
                return Outcome(406, error="not-acceptable", form="ASK")
            data = parsed.serialize(format=RESULT_FORMATS[result_type])
            return Outcome(200, result_type, data, form="ASK")
        if result_type is None:
            return Outcome(406, error="not-acceptable", form="SELECT")
        return serialise_solutions(parsed, result_type, max_rows, max_bytes)
    if graph_type is None:
        return Outcome(406, error="not-acceptable", form="CONSTRUCT")
    fmt = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
    triples = [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=fmt)]
    return serialise_triples(triples, graph_type, max_rows, prefixes,  # type: ignore[arg-type]
                             max_bytes)


class RemoteStore:
    """What the pages read of :class:`pyoxigraph.Store`, over the SPARQL protocol."""

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"RemoteStore({self.engine.url!r})"

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
        Without a dataset the default graph is the union of kgraph's graphs."""
        from .sparql_text import analyse

        del use_default_graph_as_union
        full = prologue(base_iri, prefixes) + text
        form = analyse(text).form
        asked = Dataset([g.value for g in default_graph or []],
                        [g.value for g in named_graphs or []])
        dataset = self.engine.dataset(asked, analyse(text).has_dataset_clause)
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self.engine.checked(full, NTRIPLES, dataset)
            return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        body = self.engine.checked(full, JSON, dataset)
        return parse_json_results(body, form)

    def _select(self, text: str) -> ox.QuerySolutions:
        graphs = self.engine.graphs()
        body = self.engine.checked(text, JSON, Dataset(list(graphs), list(graphs)))
        return parse_json_results(body)  # type: ignore[return-value]

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | None,
        graph_name: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """The quads of kgraph's named graphs that match."""
        if isinstance(graph_name, ox.DefaultGraph):
            return iter(())
        if any(isinstance(t, ox.BlankNode) for t in (subject, object)):
            return iter(())  # blank nodes cannot be named in a query to another store
        s = str(subject) if subject is not None else "?s"
        p = str(predicate) if predicate is not None else "?p"
        o = str(object) if object is not None else "?o"
        g = str(graph_name) if graph_name is not None else "?g"
        rows = self._select(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH {g} {{ {s} {p} {o} }} }}")

        def quads() -> Iterator[ox.Quad]:
            for row in rows:
                yield ox.Quad(
                    subject if subject is not None else row["s"],
                    predicate if predicate is not None else row["p"],
                    object if object is not None else row["o"],
                    graph_name if graph_name is not None else row["g"],
                )

        return quads()

    def contains_named_graph(self, graph_name: ox.NamedNode) -> bool:
        return graph_name.value in self.engine.graphs()

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return iter([ox.NamedNode(g) for g in self.engine.graphs()])

    def __len__(self) -> int:
        rows = list(self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(rows[0]["n"].value) if rows else 0
