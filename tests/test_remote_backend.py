"""``server.py --sparql-backend URL``: kgraph serving from a real ``oxigraph serve``.

The shipped data is loaded into an Oxigraph server (its own process, its own port,
union default graph); kgraph runs with no local store and forwards to it.  The
answers must be those of the embedded store: same rows, same protocol behaviour
(predeclared prefixes, row cap, SERVICE refused, errors), and pages work.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from support.server import free_port, running_server

from kgraph.config import DEFAULT_BASE
from kgraph.dataset import parse_sources
from kgraph.examples import find_example
from kgraph.iris import PREFIXES
from kgraph.sources import shipped_sources

pytestmark = pytest.mark.server

OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
    "oxigraph"
)
SELECT_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def shipped_quads() -> list[ox.Quad]:
    return parse_sources(shipped_sources(DEFAULT_BASE), DEFAULT_BASE)


@pytest.fixture(scope="module")
def backend(tmp_path_factory, shipped_quads):  # type: ignore[no-untyped-def]
    """``oxigraph serve`` on the shipped data; yields its query URL."""
    if OXIGRAPH is None:
        pytest.fail("the oxigraph CLI is missing: pip install -e '.[test]'")
    folder = tmp_path_factory.mktemp("oxigraph")
    dump = folder / "data.nq"
    dump.write_bytes(ox.serialize(shipped_quads, format=ox.RdfFormat.N_QUADS))
    subprocess.run([OXIGRAPH, "load", "--location", str(folder / "db"), "--file", str(dump)],
                   check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}",
         "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/query"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, params={"query": "ASK {}"}, timeout=2).ok:
                    break
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(backend):  # type: ignore[no-untyped-def]
    with running_server("--sparql-backend", backend, "--max-rows", "50") as url:
        yield url


@pytest.fixture(scope="module")
def embedded(shipped_quads) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(shipped_quads)
    return store


def rows(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return [
        {k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]
    ]


def test_an_example_query_gives_the_embedded_answer(server, embedded) -> None:
    example = find_example("02-entries-per-policy")
    response = requests.post(server + "sparql", data={"query": example.text}, headers=SELECT_JSON)
    solutions = embedded.query(example.text, prefixes=PREFIXES, base_iri=DEFAULT_BASE,
                               use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    expected = [
        {name: row[name].value for name in names if row[name] is not None} for row in solutions
    ]
    assert rows(response) == expected
    assert len(expected) > 10


def test_relative_iris_resolve_against_the_base(server) -> None:
    query = "ASK { <id/plan/kawasaki-2022> a kgo:ClimateActionPlan }"
    response = requests.get(server + "sparql", params={"query": query}, headers=SELECT_JSON)
    assert response.status_code == 200
    assert response.json()["boolean"] is True


def test_construct_comes_back_in_the_negotiated_format(server) -> None:
    query = "CONSTRUCT { ?p ?x ?y } WHERE { ?p a kgo:Policy ; ?x ?y }"
    response = requests.get(server + "sparql", params={"query": query},
                            headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    assert any(t.predicate.value == PREFIXES["kgo"] + "policyCode" for t in triples)


def test_the_row_cap_applies(server) -> None:
    response = requests.get(server + "sparql", params={"query": "SELECT * { ?s ?p ?o }"},
                            headers=SELECT_JSON)
    assert len(rows(response)) == 50
    assert response.headers["X-SPARQL-MaxRows"] == "50"


def test_dataset_parameters_are_passed_on(server) -> None:
    graph = DEFAULT_BASE + "graph/legal"
    response = requests.get(
        server + "sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": graph},
        headers=SELECT_JSON,
    )
    (row,) = rows(response)
    assert 0 < int(row["n"]) < 200


def test_service_is_still_refused(server) -> None:
    query = "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    response = requests.get(server + "sparql", params={"query": query})
    assert response.status_code == 400
    assert "SERVICE" in response.text


def test_syntax_errors_are_400(server) -> None:
    response = requests.get(server + "sparql", params={"query": "SELECT * WHERE { ?s ?p"})
    assert response.status_code == 400


def test_updates_are_sent_to_the_backend_instead(backend) -> None:
    with running_server("--sparql-backend", backend, env={"KGRAPH_UPDATE_TOKEN": "t"}) as url:
        response = requests.post(
            url + "sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"},
            headers={"Authorization": "Bearer t"},
        )
    assert response.status_code == 501
    assert "backend" in response.text


def test_pages_read_through_the_backend(server) -> None:
    entry = DEFAULT_BASE + "id/plan/kawasaki-2022/entry/055"
    page = requests.get(server + "id/plan/kawasaki-2022/entry/055",
                        headers={"Accept": "text/html", "Accept-Language": "ja"})
    assert page.status_code == 200
    assert "水素戦略・カーボンニュートラル産業推進事業" in page.text
    turtle = requests.get(server + "id/plan/kawasaki-2022/entry/055",
                          headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE, base_iri=DEFAULT_BASE))
    assert any(t.subject.value == entry for t in triples)
    graph = requests.get(server + "sparql", params={"graph": DEFAULT_BASE + "graph/legal"},
                         headers={"Accept": "application/n-triples"})
    assert graph.status_code == 200 and graph.content.count(b"\n") > 10


@pytest.mark.parametrize("path", ["", "dumps/", "catalog", "sitemap.xml", ".well-known/void",
                                  "query", "search?q=%E6%B0%B4%E7%B4%A0", "plan"])
def test_site_pages_read_through_the_backend(server, path) -> None:
    """Every page a harvester starts from works without a local store."""
    assert requests.get(server + path, timeout=60).status_code == 200


def test_dumps_read_through_the_backend(server, shipped_quads) -> None:
    """The N-Quads dump holds the backend's data, with a stable ETag and 304."""
    response = requests.get(server + "dumps/kgraph.nq.gz", timeout=60)
    assert response.status_code == 200
    # requests undoes the gzip transfer only for Content-Encoding; this is a .gz file.
    dumped = set(ox.parse(gzip.decompress(response.content), format=ox.RdfFormat.N_QUADS))
    assert dumped == set(shipped_quads)
    again = requests.get(server + "dumps/kgraph.nq.gz", timeout=60,
                         headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_backend_that_is_down_gives_503_everywhere() -> None:
    """Queries, pages and /health all say that the engine cannot be reached (503, in
    the reader's language, with Retry-After); nothing answers 500."""
    port = free_port()  # nothing listens there
    with running_server("--sparql-backend", f"http://127.0.0.1:{port}/query",
                        wait_for_health=False) as url:
        for path in ("sparql?query=ASK%20%7B%7D", "", "id/plan/kawasaki-2022", "catalog",
                     "dumps/kgraph.nq.gz", "health"):
            response = requests.get(url + path, headers={"Accept-Language": "ja"}, timeout=60)
            assert response.status_code == 503, (path, response.status_code, response.text)
            assert response.headers.get("Retry-After")
            if path != "health":
                assert "接続できません" in response.text, (path, response.text)
