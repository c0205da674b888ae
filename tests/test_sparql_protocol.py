"""The SPARQL protocol at /sparql, driven with requests against the real server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import rdflib
import requests
from support.server import ServerURL, running_server

pytestmark = pytest.mark.server

EX = "http://example.org/"
COUNT_VALUES = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/value> ?v }"


@pytest.fixture(scope="module")
def small(small_data: str) -> Iterator[ServerURL]:
    """Small data, row cap 50, CORS for one origin."""
    with running_server(
        "--data", small_data, "--max-rows", "50", "--max-body-bytes", "5000",
        "--cors-origins", "https://example.net",
    ) as url:
        yield url


def get(url: str, query: str, accept: str | None = None, **params: str) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(url + "sparql", params={"query": query, **params}, headers=headers,
                        timeout=30)


def count(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# --- dataset -----------------------------------------------------------------------


def test_default_graph_is_union_of_all_graphs(small: ServerURL) -> None:
    assert count(get(small, COUNT_VALUES)) == 301  # 3 x 100 named + 1 default


def test_from_clause_is_respected(small: ServerURL) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/graph/1> " \
            "WHERE { ?s <http://example.org/value> ?v }"
    assert count(get(small, query)) == 100
    named_only = "SELECT (COUNT(*) AS ?n) FROM NAMED <http://example.org/graph/1> " \
                 "WHERE { ?s <http://example.org/value> ?v }"
    assert count(get(small, named_only)) == 0
    tricky = "# FROM in a comment\nSELECT (COUNT(*) AS ?from) WHERE { ?s ?p \"FROM\" }"
    assert get(small, tricky).status_code == 200


def test_protocol_dataset_overrides_query(small: ServerURL) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/graph/1> " \
            "WHERE { ?s <http://example.org/value> ?v }"
    response = requests.get(small + "sparql", timeout=30, params=[
        ("query", query),
        ("default-graph-uri", EX + "graph/0"), ("default-graph-uri", EX + "graph/2"),
    ])
    assert count(response) == 200
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = requests.get(small + "sparql", timeout=30, params=[
        ("query", graphs), ("named-graph-uri", EX + "graph/2"),
    ])
    assert count(response) == 1
    assert get(small, graphs).json()["results"]["bindings"][0]["n"]["value"] == "3"
    bad = requests.get(small + "sparql", timeout=30,
                       params={"query": graphs, "default-graph-uri": "not an iri"})
    assert bad.status_code == 400 and "default-graph-uri" in bad.text


def test_relative_iris_resolve_against_base_and_prefixes_are_predeclared(
    server: ServerURL,
) -> None:
    response = get(server, "SELECT (COUNT(*) AS ?n) { ?c a owl:Class ; rdfs:label ?l }")
    assert count(response) > 0


# --- result formats ----------------------------------------------------------------

SELECT = "SELECT ?s ?v WHERE { ?s <http://example.org/value> ?v } ORDER BY ?v ?s LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s <http://example.org/value> ?v } WHERE " \
            "{ ?s <http://example.org/value> ?v FILTER(?v < 2) }"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
        ("text/html, */*;q=0.1", "application/sparql-results+json"),
    ],
)
def test_select_formats_by_accept(small: ServerURL, accept: str | None, media_type: str) -> None:
    response = get(small, SELECT, accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    if media_type != "text/csv":
        fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
               "application/sparql-results+xml": ox.QueryResultsFormat.XML,
               "text/tab-separated-values": ox.QueryResultsFormat.TSV}[media_type]
        assert len(list(ox.parse_query_results(response.content, format=fmt))) == 3
    else:
        assert response.text.splitlines()[0] == "s,v"


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
     ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
     ("text/csv", "text/csv")],
)
def test_select_format_parameter(small: ServerURL, fmt: str, media_type: str) -> None:
    response = get(small, SELECT, "application/sparql-results+xml", format=fmt)
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "fmt", "media_type", "rdflib_format"),
    [
        (None, None, "text/turtle", "turtle"),
        ("application/n-triples", None, "application/n-triples", "nt"),
        ("application/ld+json", None, "application/ld+json", "json-ld"),
        ("application/rdf+xml", None, "application/rdf+xml", "xml"),
        ("application/json", None, "application/ld+json", "json-ld"),
        (None, "ntriples", "application/n-triples", "nt"),
        (None, "jsonld", "application/ld+json", "json-ld"),
        (None, "rdfxml", "application/rdf+xml", "xml"),
        (None, "turtle", "text/turtle", "turtle"),
    ],
)
def test_graph_formats(small: ServerURL, accept, fmt, media_type, rdflib_format) -> None:
    params = {"format": fmt} if fmt else {}
    for query in (CONSTRUCT, "DESCRIBE <http://example.org/item/0-0>"):
        response = get(small, query, accept, **params)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
        graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
        assert len(graph) >= 2


def test_ask_formats(small: ServerURL) -> None:
    response = get(small, "ASK { ?s ?p ?o }")
    assert response.json() == {"head": {}, "boolean": True}
    xml = get(small, "ASK { <http://nothing> ?p ?o }", "application/sparql-results+xml")
    assert "<boolean>false</boolean>" in xml.text


def test_not_acceptable(small: ServerURL) -> None:
    response = get(small, SELECT, "image/png")
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text
    assert get(small, CONSTRUCT, "text/csv").status_code == 406
    assert get(small, SELECT, format="turtle").status_code == 406
    assert get(small, SELECT, format="nonsense").status_code == 406


def test_a_format_name_beside_a_media_type_in_accept_is_ignored(small: ServerURL) -> None:
    """``Accept: text/turtle, CSV`` was a 500 (Werkzeug took ``csv`` for an offer)."""
    assert get(small, CONSTRUCT, "text/turtle, CSV").headers["Content-Type"].startswith(
        "text/turtle")
    assert get(small, SELECT, "text/turtle, CSV").status_code == 406
    assert get(small, SELECT, "CSV, application/sparql-results+json;q=0.5").status_code == 200


def test_row_cap_is_announced(small: ServerURL) -> None:
    everything = "SELECT ?s ?v WHERE { ?s <http://example.org/value> ?v }"
    for accept in ("application/sparql-results+json", "text/tab-separated-values", "text/csv",
                   "application/sparql-results+xml"):
        response = get(small, everything, accept)
        assert response.status_code == 200
        assert response.headers["X-SPARQL-MaxRows"] == "50"
        if accept.endswith("json"):
            assert len(response.json()["results"]["bindings"]) == 50
        elif accept.startswith("text/"):
            assert len(response.text.splitlines()) == 51
    under = get(small, "SELECT ?s WHERE { ?s <http://example.org/value> ?v } LIMIT 50")
    assert "X-SPARQL-MaxRows" not in under.headers
    assert len(under.json()["results"]["bindings"]) == 50
    graph = get(small, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert graph.headers["X-SPARQL-MaxRows"] == "50"
    assert len(graph.text.strip().splitlines()) == 50


def test_post_forms(small: ServerURL) -> None:
    form = requests.post(small + "sparql", data={"query": COUNT_VALUES}, timeout=30)
    assert count(form) == 301
    direct = requests.post(small + "sparql", data=COUNT_VALUES.encode(), timeout=30,
                           headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    assert count(direct) == 301


# --- bad requests: 4xx with a message, never 5xx ------------------------------------

BAD = [
    ("wrong media type", "POST", {}, {"Content-Type": "text/plain"}, b"ASK {}", 415),
    ("no media type", "POST", {}, {}, b"query=ASK%20%7B%7D", 415),
    ("repeated query", "GET", [("query", "ASK {}"), ("query", "ASK {}")], {}, None, 400),
    ("query in URL and body", "POST", {"query": "ASK {}"},
     {"Content-Type": "application/sparql-query"}, b"ASK {}", 400),
    ("update over GET", "GET", {"update": "CLEAR ALL"}, {}, None, 405),
    ("query and update", "POST", {},
     {"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK+%7B%7D&update=CLEAR+ALL",
     400),
    ("UTF-16 body", "POST", {}, {"Content-Type": "application/sparql-query; charset=UTF-16"},
     "ASK {}".encode("utf-16"), 400),
    ("invalid UTF-8 body", "POST", {}, {"Content-Type": "application/sparql-query"},
     b"ASK { ?s ?p \"\xff\xfe\" }", 400),
    ("invalid UTF-8 in form", "POST", {}, {"Content-Type": "application/x-www-form-urlencoded"},
     b"query=ASK%20%7B%FF%7D", 400),
    ("huge body", "POST", {}, {"Content-Type": "application/sparql-query"},
     b"ASK {} #" + b"x" * 10_000, 413),
    ("huge form", "POST", {}, {"Content-Type": "application/x-www-form-urlencoded"},
     b"query=ASK%20%7B%7D%23" + b"x" * 10_000, 413),
    ("malformed query", "GET", {"query": "SELECT * WHERE { ?s ?p }"}, {}, None, 400),
    ("empty query", "GET", {"query": "  "}, {}, None, 400),
    ("no query in POST", "POST", {}, {"Content-Type": "application/x-www-form-urlencoded"},
     b"format=json", 400),
    ("PUT", "PUT", {"query": "ASK {}"}, {}, None, 405),
    ("DELETE", "DELETE", {}, {}, None, 405),
    ("update without token configured", "POST", {},
     {"Content-Type": "application/sparql-update"}, b"CLEAR ALL", 403),
]


@pytest.mark.parametrize(("name", "method", "params", "headers", "body", "status"), BAD,
                         ids=[b[0] for b in BAD])
def test_bad_requests(small: ServerURL, name, method, params, headers, body, status) -> None:
    response = requests.request(method, small + "sparql", params=params, headers=headers,
                                data=body, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert len(response.text.strip()) > 10
    assert "Traceback" not in response.text and "File \"" not in response.text


def test_syntax_error_names_position(small: ServerURL) -> None:
    response = get(small, "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(\n}")
    assert response.status_code == 400
    assert response.text.startswith("SPARQL syntax error:")
    assert "error at 4:" in response.text  # line 4, where the FILTER is cut off


def test_error_messages_follow_accept_language(small: ServerURL) -> None:
    ja = requests.get(small + "sparql", params={"update": "CLEAR ALL"}, timeout=30,
                      headers={"Accept-Language": "ja,en;q=0.5"})
    assert ja.status_code == 405 and "POST で送ってください" in ja.text
    assert ja.headers["Content-Language"] == "ja"
    en = requests.get(small + "sparql", params={"update": "CLEAR ALL"}, timeout=30)
    assert "must be sent with POST" in en.text


# --- graph store, service description, CORS, logs ---------------------------------


def test_graph_store_read(small: ServerURL) -> None:
    for base in ("sparql", "rdf-graph-store"):
        response = requests.get(small + base, params={"graph": EX + "graph/1"}, timeout=30,
                                headers={"Accept": "application/n-triples"})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/n-triples; charset=utf-8"
        assert len(response.text.strip().splitlines()) == 150  # not cut by the row cap
        etag = response.headers["ETag"]
        again = requests.get(small + base, params={"graph": EX + "graph/1"}, timeout=30,
                             headers={"Accept": "application/n-triples", "If-None-Match": etag})
        assert again.status_code == 304
        head = requests.head(small + base, params={"graph": EX + "graph/1"}, timeout=30)
        assert head.status_code == 200 and head.headers["Content-Type"].startswith("text/turtle")
        default = requests.get(small + base + "?default", timeout=30,
                               headers={"Accept": "application/n-triples"})
        assert len(default.text.strip().splitlines()) == 452
        missing = requests.get(small + base, params={"graph": EX + "graph/9"}, timeout=30)
        assert missing.status_code == 404
    both = requests.get(small + "rdf-graph-store?default&graph=" + EX, timeout=30)
    assert both.status_code == 400
    put = requests.put(small + "rdf-graph-store?default", data=b"<a> <b> <c> .", timeout=30,
                       headers={"Content-Type": "text/turtle"})
    assert put.status_code == 405


def test_service_description_lists_graphs_with_counts(small: ServerURL) -> None:
    response = requests.get(small + "sparql", headers={"Accept": "application/ld+json"},
                            timeout=30)
    assert response.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.content, format="json-ld")
    rows = graph.query("""
        PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
        PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?name ?n WHERE { ?svc sd:defaultDataset/sd:namedGraph [ sd:name ?name ;
                                                     sd:graph/void:triples ?n ] }""")
    counts = {str(name): int(n) for name, n in rows}
    assert counts == {EX + "graph/0": 150, EX + "graph/1": 150, EX + "graph/2": 150}
    features = {str(o) for o in graph.objects(None, rdflib.URIRef(
        "http://www.w3.org/ns/sparql-service-description#feature"))}
    assert "http://www.w3.org/ns/sparql-service-description#UnionDefaultGraph" in features
    # A browser that opens the endpoint gets the query page, as with Fuseki and Oxigraph.
    html = requests.get(small + "sparql", headers={"Accept": "text/html"}, timeout=30)
    assert html.headers["Content-Type"].startswith("text/html")


def test_cors(small: ServerURL) -> None:
    origin = {"Origin": "https://example.net"}
    response = get(small, "ASK {}")
    assert "Access-Control-Allow-Origin" not in response.headers
    response = requests.get(small + "sparql", params={"query": "ASK {}"}, headers=origin,
                            timeout=30)
    assert response.headers["Access-Control-Allow-Origin"] == "https://example.net"
    assert "X-SPARQL-MaxRows" in response.headers["Access-Control-Expose-Headers"]
    preflight = requests.options(small + "sparql", timeout=30, headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    other = requests.get(small + "sparql", params={"query": "ASK {}"}, timeout=30,
                         headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_access_log_line_per_request(small: ServerURL) -> None:
    response = get(small, "ASK { <http://example.org/access-log-probe> ?p ?o }")
    size = len(response.content)
    lines = [line for line in small.log().splitlines() if "access-log-probe" in line]
    assert len(lines) == 1
    assert f'HTTP/1.1" 200 {size} ' in lines[0]
    assert "ms " in lines[0]


def test_json_results_are_utf8(small: ServerURL) -> None:
    response = get(small, 'SELECT ?x { BIND("気候変動"@ja AS ?x) }')
    assert json.loads(response.content.decode("utf-8"))["results"]["bindings"][0]["x"]["value"] \
        == "気候変動"
