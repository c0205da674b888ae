"""The W3C SPARQL 1.1 test manifests, replayed against the real server.

* Protocol (``tests/w3c/sparql11-protocol/manifest.ttl``): every test, one pytest case
  each.  The graph data a test names (``ut:graphData``: ``data1.nt`` ... into the named
  graph given by its ``rdfs:label``) is written into one N-Quads file that a server
  serves with ``--data``.  Query tests and their negative tests run against that
  server; update tests and negative update tests run against a second server with
  an operator token, and send it (so a negative update test is refused for its
  protocol error, not for a missing token).
* Graph Store Protocol (``tests/w3c/graph-store-protocol``), read side: the tests that
  only read after setting up graphs have their set-up PUT bodies served with
  ``--data`` and their GET/HEAD requests replayed at ``/rdf-graph-store``; for the
  tests that write, the write request is checked to be refused (405, read-only).
* Service Description (``tests/w3c/service-description``): the three tests.

Each request's ``/sparql/`` (``/gsp``) path prefix is replaced by the server's path,
as the manifests instruct.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from support.server import ServerURL, running_server

W3C = Path(__file__).resolve().parent / "w3c"
PROTOCOL = W3C / "sparql11-protocol" / "manifest.ttl"
GSP = W3C / "graph-store-protocol"
SD_MANIFEST = W3C / "service-description" / "manifest.ttl"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

TOKEN = "w3c-protocol-test-token"

STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: list[str]
    expected_format: str | None = None
    expected_boolean: bool | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None


@dataclass
class Case:
    name: str
    title: str
    requests: list[Req]
    graph_data: list[tuple[Path, str]]


def _list(graph: rdflib.Graph, head: rdflib.term.Node) -> list[rdflib.term.Node]:
    return list(rdflib.collection.Collection(graph, head))


def _headers(graph: rdflib.Graph, node: rdflib.term.Node) -> dict[str, str]:
    headers: dict[str, str] = {}
    for head in graph.objects(node, HT.headers):
        for h in _list(graph, head):
            headers[str(graph.value(h, HT.fieldName)).lower()] = str(graph.value(h, HT.fieldValue))
    return headers


def _body(graph: rdflib.Graph, node: rdflib.term.Node) -> tuple[str | None, str]:
    body = graph.value(node, HT.body)
    if body is None:
        return None, "UTF-8"
    encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
    return str(graph.value(body, CNT.chars)), encoding


def load_cases(path: Path) -> list[Case]:
    graph = rdflib.Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = graph.value(manifest, MF.entries)
    cases = []
    for test in _list(graph, entries):
        name = str(test).rsplit("#", 1)[-1]
        reqs = []
        action = graph.value(test, MF.action)
        for node in _list(graph, graph.value(action, HT.requests)):
            text, encoding = _body(graph, node)
            resp = graph.value(node, HT.resp)
            expected_boolean = graph.value(resp, MF.expectedBoolean)
            expected_format = graph.value(resp, MF.expectedFormat)
            response_text, _ = _body(graph, resp)
            reqs.append(
                Req(
                    method=str(graph.value(node, HT.methodName)),
                    path=str(graph.value(node, HT.absolutePath)),
                    headers=_headers(graph, node),
                    body=text.encode(encoding.lower()) if text is not None else None,
                    statuses=[str(s).rsplit("#", 1)[-1] for s in
                              graph.objects(resp, MF.expectedStatus)],
                    expected_format=str(expected_format) if expected_format else None,
                    expected_boolean=expected_boolean.toPython()
                    if expected_boolean is not None else None,
                    response_headers=_headers(graph, resp),
                    response_body=response_text,
                )
            )
        data = [
            (path.parent / str(graph.value(d, UT.graph)).rsplit("/", 1)[-1],
             str(graph.value(d, RDFS.label)))
            for d in graph.objects(test, UT.graphData)
        ]
        cases.append(Case(name, str(graph.value(test, MF.name)), reqs, sorted(data)))
    return cases


def status_ok(code: int, statuses: list[str]) -> bool:
    for status in statuses:
        if status.startswith("StatusCode") and status.endswith("xx"):
            if code // 100 == int(status[len("StatusCode")]):
                return True
        elif STATUS.get(status) == code:
            return True
    return False


def send(base: str, req: Req, path_prefix: str, new_prefix: str, token: str | None = None):
    path = req.path
    assert path.startswith(path_prefix), path
    url = base.rstrip("/") + new_prefix + path[len(path_prefix):]
    headers = dict(req.headers)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(req.method, url, headers=headers, data=req.body, timeout=60)


# ---------------------------------------------------------------------------
# SPARQL 1.1 Protocol
# ---------------------------------------------------------------------------

PROTOCOL_CASES = load_cases(PROTOCOL)


def is_update_case(case: Case) -> bool:
    return case.name.startswith(("update_", "bad_update", "bad_multiple_updates"))


@pytest.fixture(scope="module")
def protocol_servers(tmp_path_factory) -> Iterator[dict[str, ServerURL]]:
    """A query server with every graph the manifest names, and an update server."""
    folder = tmp_path_factory.mktemp("w3c-protocol")
    graphs = {(path, label) for case in PROTOCOL_CASES for path, label in case.graph_data}
    quads = []
    for path, label in sorted(graphs):
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
            quads.append(ox.Quad(triple.subject, triple.predicate, triple.object,
                                 ox.NamedNode(label)))
    data = folder / "protocol-data.nq"
    data.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    empty = folder / "empty.nq"
    empty.write_bytes(b"")
    with running_server("--data", str(data)) as query_server, running_server(
        "--data", str(empty), env={"KGRAPH_UPDATE_TOKEN": TOKEN}
    ) as update_server:
        yield {"query": query_server, "update": update_server}


def check_response(response: requests.Response, req: Req) -> None:
    code = response.status_code
    assert status_ok(code, req.statuses), (
        f"{req.method} {req.path}: got {code}, expected {req.statuses}\n{response.text[:500]}"
    )
    assert code < 500
    if code >= 400:
        assert response.text.strip(), "an error answer carries a message"
        assert code not in (401, 403), f"refused for authorisation, not protocol: {response.text}"
        return
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if req.expected_format in ("boolean", "tabular"):
        assert media_type in RESULT_TYPES, media_type
        if req.expected_format == "tabular":
            parsed = ox.parse_query_results(response.content, format=RESULT_TYPES[media_type]) \
                if media_type != "text/csv" else None
            if parsed is not None:
                assert isinstance(parsed, ox.QuerySolutions)
        else:
            parsed = ox.parse_query_results(response.content, format=RESULT_TYPES[media_type])
            assert isinstance(parsed, ox.QueryBoolean)
            if req.expected_boolean is not None:
                assert bool(parsed) is req.expected_boolean
    elif req.expected_format == "RDF":
        assert media_type in RDF_TYPES, media_type
        rdflib.Graph().parse(data=response.content, format=RDF_TYPES[media_type])
    if req.expected_boolean is not None:
        assert req.expected_format == "boolean"


@pytest.mark.server
@pytest.mark.parametrize("case", PROTOCOL_CASES, ids=[c.name for c in PROTOCOL_CASES])
def test_protocol(case: Case, protocol_servers: dict[str, ServerURL]) -> None:
    update = is_update_case(case)
    base = protocol_servers["update" if update else "query"]
    for req in case.requests:
        response = send(base, req, "/sparql/", "/sparql", TOKEN if update else None)
        check_response(response, req)


def test_protocol_manifest_is_complete() -> None:
    """Every manifest entry became a case (nothing silently dropped)."""
    assert len(PROTOCOL_CASES) == 34
    assert sum(is_update_case(c) for c in PROTOCOL_CASES) == 14


# ---------------------------------------------------------------------------
# Graph Store Protocol, read side
# ---------------------------------------------------------------------------

GSP_CASES = load_cases(GSP / "manifest-indirect.ttl")
WRITES = ("PUT", "POST", "DELETE", "PATCH")


def split_setup(case: Case) -> tuple[list[Req], list[Req]]:
    """Leading PUT requests (the set-up) and the requests after them."""
    setup: list[Req] = []
    for i, req in enumerate(case.requests):
        if req.method != "PUT":
            return setup, case.requests[i:]
        setup.append(req)
    return setup, []


READ_CASES = [c for c in GSP_CASES if not any(r.method in WRITES for r in split_setup(c)[1])]
WRITE_CASES = [c for c in GSP_CASES if c not in READ_CASES]


def graph_of(req: Req) -> str | None:
    """The graph a GSP request names (``None`` for ``?default``)."""
    params = dict(parse_qsl(urlsplit(req.path).query, keep_blank_values=True))
    return params.get("graph")


@pytest.mark.server
@pytest.mark.parametrize("case", READ_CASES, ids=[c.name for c in READ_CASES])
def test_graph_store_read(case: Case, tmp_path: Path) -> None:
    setup, reads = split_setup(case)
    data = tmp_path / "gsp.trig"
    parts = []
    for req in setup:
        assert req.body is not None
        turtle = req.body.decode("utf-8")
        name = graph_of(req)
        graph = rdflib.Graph().parse(data=turtle, format="turtle")
        nt = graph.serialize(format="nt")
        parts.append(f"<{name}> {{\n{nt}\n}}\n" if name else f"{{\n{nt}\n}}\n")
    data.write_text("".join(parts) or "", encoding="utf-8")
    with running_server("--data", str(data)) as url:
        for req in reads:
            response = send(url, req, "/gsp", "/rdf-graph-store")
            assert status_ok(response.status_code, req.statuses), (
                response.status_code, req.statuses, response.text[:300])
            expected_type = req.response_headers.get("content-type")
            if expected_type:
                assert response.headers["Content-Type"].lower() == expected_type.lower()
            if req.response_body is not None and req.method == "GET":
                got = rdflib.Graph().parse(data=response.content, format="turtle")
                want = rdflib.Graph().parse(data=req.response_body, format="turtle")
                assert isomorphic(got, want), response.text


@pytest.mark.server
def test_graph_store_writes_are_refused(server: ServerURL) -> None:
    """The write steps of the other GSP tests get 405: the public store is read-only."""
    assert WRITE_CASES, "the manifest has write tests"
    for case in WRITE_CASES:
        for req in case.requests:
            if req.method not in WRITES:
                continue
            response = send(server, req, "/gsp", "/rdf-graph-store")
            assert response.status_code == 405, (case.name, req.method, response.status_code)
            assert "GET" in response.headers["Allow"]
            assert "read-only" in response.text


def test_graph_store_manifest_split() -> None:
    assert [c.name for c in READ_CASES] == [
        "put_get_default",
        "head_existing_indirect",
        "head_non_existing_indirect",
        "put_get_uri_pct_encoded_indirect",
        "put_get_uri_pct_encoded_twice",
    ]


# ---------------------------------------------------------------------------
# Service Description
# ---------------------------------------------------------------------------

_SD = rdflib.Graph().parse(SD_MANIFEST, format="turtle")
SD_TESTS = [
    str(t).rsplit("#", 1)[-1]
    for t in _list(_SD, _SD.value(next(_SD.subjects(RDF.type, MF.Manifest)), MF.entries))
]
SD_CLASSES = {SD.Service, SD.Dataset, SD.Graph, SD.NamedGraph, SD.Language, SD.Feature}
SD_PROPERTIES = {
    SD.endpoint, SD.feature, SD.supportedLanguage, SD.resultFormat, SD.defaultDataset,
    SD.defaultGraph, SD.namedGraph, SD.name, SD.graph, SD.defaultEntailmentRegime,
}


@pytest.fixture(scope="module")
def sparql_url() -> Iterator[str]:
    """A server whose base is its own URL: ``sd:endpoint`` names the configured base's
    endpoint (never the Host a client sent), so here that is the URL the test uses."""
    with running_server(base_is_url=True) as url:
        yield url + "sparql"


@pytest.mark.server
@pytest.mark.parametrize("name", SD_TESTS)
def test_service_description(name: str, sparql_url: str) -> None:
    response = requests.get(sparql_url, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    if name == "returns-rdf":
        assert len(graph) > 10
    elif name == "has-endpoint-triple":
        assert (service, SD.endpoint, rdflib.URIRef(sparql_url)) in graph
    elif name == "conforms-to-schema":
        used_classes = {o for o in graph.objects(None, RDF.type) if str(o).startswith(str(SD))}
        used_props = {p for p in graph.predicates() if str(p).startswith(str(SD))}
        assert used_classes <= SD_CLASSES
        assert used_props <= SD_PROPERTIES
        for named in graph.subjects(RDF.type, SD.NamedGraph):
            assert isinstance(graph.value(named, SD.name), rdflib.URIRef)
            assert graph.value(named, SD.graph) is not None
    else:  # pragma: no cover - a new manifest entry needs a check here
        pytest.fail(f"no check for service description test {name}")
