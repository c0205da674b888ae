"""No query or update made through the server makes it contact another host.

A local listener (a TCP server on loopback) counts every connection.  pyoxigraph
0.5.13 does open HTTP connections for SERVICE and LOAD (checked below, directly),
so the endpoint must refuse them; FROM / FROM NAMED / default-graph-uri IRIs and
DESCRIBE of a remote IRI must not be dereferenced either.  With the listener's host
allow-listed, SERVICE does reach it: the allow-list is real.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import requests
from support.server import running_server

TOKEN = "outbound-test-token"


class Listener:
    """Accepts connections on 127.0.0.1 and records what arrives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(4096))
                except OSError:
                    self.hits.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def test_pyoxigraph_itself_would_connect(listener: Listener) -> None:
    """Why the refusal matters: the engine does federate when asked."""
    store = ox.Store()
    with pytest.raises(OSError):
        list(store.query(f"SELECT * {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"))
    assert listener.hits and listener.hits[0].startswith(b"POST /sparql")


@pytest.mark.server
def test_nothing_reaches_the_listener(listener: Listener, small_data: str) -> None:
    remote = listener.url
    with running_server("--data", small_data, env={"KGRAPH_UPDATE_TOKEN": TOKEN}) as url:
        endpoint = url + "sparql"
        refused_queries = [
            f"SELECT * {{ SERVICE <{remote}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ SERVICE SILENT <{remote}sparql> {{ ?s ?p ?o }} }}",
            f"PREFIX : <{remote}> SELECT * {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
            f"PREFIX r: <{remote}> SELECT * {{ service silent r:sparql {{ ?s ?p ?o }} }}",
            f"BASE <{remote}> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ BIND(<{remote}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
            f"SELECT * {{ ?s ?p ?o OPTIONAL {{ SERVICE <{remote}> {{ ?s ?p ?x }} }} }}",
            f"SELECT * {{ SERVICE <http://\\u0031\\u0032\\u0037.0.0.1:{listener.port}/> "
            "{ ?s ?p ?o } }",
        ]
        for query in refused_queries:
            for method in ("GET", "POST"):
                if method == "GET":
                    response = requests.get(endpoint, params={"query": query}, timeout=30)
                else:
                    response = requests.post(endpoint, data=query.encode(), timeout=30,
                                             headers={"Content-Type": "application/sparql-query"})
                assert response.status_code == 400, (query, response.status_code, response.text)
                assert "SERVICE" in response.text, response.text

        auth = {"Authorization": f"Bearer {TOKEN}"}
        refused_updates = [
            f"LOAD <{remote}data.ttl>",
            f"LOAD SILENT <{remote}data.ttl> INTO GRAPH <http://example.org/g>",
            f"PREFIX : <{remote}> LOAD:data.ttl",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}",
        ]
        for update in refused_updates:
            response = requests.post(endpoint, data={"update": update}, headers=auth, timeout=30)
            assert response.status_code == 400, (update, response.status_code, response.text)
            assert "LOAD" in response.text or "SERVICE" in response.text

        # dataset IRIs are graph names, never fetched
        allowed = [
            {"query": f"SELECT * FROM <{remote}data.ttl> {{ ?s ?p ?o }}"},
            {"query": f"SELECT * FROM NAMED <{remote}data.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
            {"query": "SELECT * { ?s ?p ?o }", "default-graph-uri": remote + "data.ttl"},
            {"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": remote},
            {"query": f"DESCRIBE <{remote}thing>"},
            {"query": f"ASK {{ <{remote}thing> ?p ?o }}"},
        ]
        for params in allowed:
            response = requests.get(endpoint, params=params, timeout=30)
            assert response.status_code == 200, (params, response.text)
        assert requests.get(url + "rdf-graph-store", params={"graph": remote},
                            timeout=30).status_code == 404
        # an INSERT that names the remote IRI only stores it
        response = requests.post(
            endpoint, headers=auth, timeout=60,
            data={"update": f"INSERT DATA {{ GRAPH <http://example.org/graph/0> "
                            f"{{ <{remote}x> <http://example.org/value> 1 }} }}"},
        )
        assert response.status_code == 200, response.text
    assert listener.hits == []


@pytest.mark.server
def test_allow_listed_host_is_reached(listener: Listener, small_data: str) -> None:
    """With the host allow-listed, SERVICE goes out (and a failing remote is a 502)."""
    with running_server("--data", small_data, "--allowed-hosts", "127.0.0.1") as url:
        response = requests.get(
            url + "sparql",
            params={"query": f"SELECT * {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"},
            timeout=30,
        )
        assert response.status_code == 502, response.text
        # other hosts stay refused
        response = requests.get(
            url + "sparql",
            params={"query": "SELECT * { SERVICE <http://localhost:9/> { ?s ?p ?o } }"},
            timeout=30,
        )
        assert response.status_code == 400
    assert any(hit.startswith(b"POST /sparql") for hit in listener.hits)
