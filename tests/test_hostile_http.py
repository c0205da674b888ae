"""Hostile HTTP input against the production server, from the corpus in tests/hostile/.

The server is the production server (granian) with two workers over an on-disk
store, with an operator token configured (``server.py --workers 2 --store DIR``).
Every request of the corpus (``http.toml``, the SPARQL files, the path strings) must
get a clear 4xx: a message, no 5xx, no dropped connection, no server internals;
files from outside what is served never come back; and after all of it the served
data is byte for byte what it was (the dump, its ETag, the snapshot).
"""

from __future__ import annotations

import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

import pytest
import requests
from support.hostile import (
    CORPUS,
    TOKEN,
    Answer,
    check_error_answer,
    follow_local_redirect,
    load_store,
    production_server,
    raw_request,
    served,
)

pytestmark = pytest.mark.server

BUDGET = 2.0
CASES = tomllib.loads((CORPUS / "http.toml").read_text(encoding="utf-8"))["case"]
MALFORMED = sorted((CORPUS / "sparql" / "malformed").glob("*.rq"))
HEAVY = sorted((CORPUS / "sparql" / "heavy").glob("*.rq"))
PATHS = [
    line for line in (CORPUS / "paths.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
#: Where each path string goes: every path parameter, and the query parameters that
#: name a thing to serve.
PATH_TARGETS = [
    "/id/{}",
    "/static/{}",
    "/vendor/{}",
    "/dumps/{}",
    "/ontology.{}",
    "/shapes.{}",
    "/sitemap-{}.xml",
    "/query?example={}",
    "/rdf-graph-store?graph={}",
    "/sparql?graph={}",
]
#: Text of files that must never be served (outside what the server publishes).
SECRETS = ("root:x:0:0", "[build-system]", "def main(", "repositoryformatversion",
           "KGRAPH_UPDATE_TOKEN=", TOKEN)
#: The HTTP server (hyper, in granian) refuses a request target longer than this with
#: 414, and a request head longer than its buffer (417,792 bytes) with 431.
REQUEST_LINE_LIMIT = 65_534


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("hostile-store")
    load_store(store)
    return store


@pytest.fixture(scope="module")
def server(store):
    with production_server(store, budget=BUDGET) as url:
        yield url


@pytest.fixture(scope="module")
def before(server, store):
    """What was served before any hostile request."""
    return served(server, store)


def send_case(url: str, case: dict) -> Answer:
    if "raw" in case:
        return raw_request(url, raw=case["raw"].encode("utf-8"))
    headers = [tuple(pair) for pair in case.get("headers", [])]
    if case.get("auth") == "valid":
        headers.append(("Authorization", f"Bearer {TOKEN}"))
    if "headers_repeat" in case:
        spec = case["headers_repeat"]
        headers.append((spec["name"], spec["text"] * spec["times"]))
    if "headers_many" in case:
        spec = case["headers_many"]
        headers += [(f"{spec['name']}-{i}", "x") for i in range(spec["times"])]
    if "body_file" in case:
        body = (CORPUS / case["body_file"]).read_bytes()
    elif "body_repeat" in case:
        body = (case["body_repeat"]["text"] * case["body_repeat"]["times"]).encode()
    else:
        body = case.get("body", "").encode("utf-8")
    target = case.get("target", "/sparql")
    if "target_repeat" in case:
        spec = case["target_repeat"]
        target = spec["prefix"] + spec["text"] * spec["times"]
    return raw_request(url, case.get("method", "GET"), target, headers, body)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_request(server, before, case):
    answer = send_case(server, case)
    check_error_answer(answer, case["expect"], case["id"])
    if case["id"] == "trace":
        assert "must-not-come-back" not in answer.text


def _transports(path: Path) -> list[tuple[str, str, list[tuple[str, str]], bytes]]:
    """The three ways the protocol carries a query: URL, form body, direct body."""
    data = path.read_bytes()
    return [
        ("get", "/sparql?query=" + quote_from_bytes(data, safe=""), [], b""),
        ("form", "/sparql", [("Content-Type", "application/x-www-form-urlencoded")],
         b"query=" + quote_from_bytes(data, safe="").encode()),
        ("direct", "/sparql", [("Content-Type", "application/sparql-query")], data),
    ]


@pytest.mark.parametrize("path", MALFORMED, ids=[p.name for p in MALFORMED])
def test_malformed_and_pathological_queries_are_400(server, before, path):
    for how, target, headers, body in _transports(path):
        method = "GET" if how == "get" else "POST"
        answer = raw_request(server, method, target, headers, body)
        expected = [400, 414, 431] if len(target) > REQUEST_LINE_LIMIT else [400]
        check_error_answer(answer, expected, f"{path.name} ({how})")


@pytest.fixture(scope="module")
def heavy_answers(server, before) -> dict[str, requests.Response]:
    """Every heavy query sent at once (eight at a time) from one client."""

    def send(path: Path) -> requests.Response:
        # One client may run two at a time: the others are told to come back (429,
        # Retry-After) at once, and do, until each is answered or cut.
        while True:
            response = requests.post(server + "sparql", data={"query": path.read_text("utf-8")},
                                     timeout=BUDGET + 60)
            if response.status_code != 429:
                return response
            assert response.headers.get("Retry-After"), response.headers
            time.sleep(0.2)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip([p.name for p in HEAVY], pool.map(send, HEAVY), strict=True))


@pytest.mark.parametrize("path", HEAVY, ids=[p.name for p in HEAVY])
def test_heavy_queries_are_answered_or_cut_at_their_budget(heavy_answers, path):
    """Runaway queries end within their budget (or memory allowance) as 503 with a
    message saying which (as Fuseki answers a cancelled query); the rest are
    answered, cut at the row cap."""
    response = heavy_answers[path.name]
    assert response.status_code in (200, 503), response.text[:300]
    if response.status_code == 503:  # stopped at its time budget or memory allowance
        assert (f"time budget of {BUDGET:g} s" in response.text
                or "MB of memory and was stopped" in response.text), response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("template", PATH_TARGETS)
def test_path_traversal_in_every_parameter(server, before, template):
    for value in PATHS:
        target = template.format(value)
        answer = follow_local_redirect(server, raw_request(server, "GET", target))
        check_error_answer(answer, range(400, 500), target)
        for secret in SECRETS:
            assert secret not in answer.text, f"{target} served {secret!r}"


def test_upload_names_are_only_labels(server, before):
    """``/validation?name=`` names the upload's graph; it never opens a file."""
    for value in PATHS:
        answer = raw_request(
            server, "POST", "/validation?name=" + quote(value, safe="%") + ".ttl",
            [("Content-Type", "text/turtle"), ("Accept", "application/json")],
            b"<urn:x-hostile:a> <urn:x-hostile:b> <urn:x-hostile:c> .",
        )
        check_error_answer(answer, [200, 400], value)
        for secret in SECRETS:
            assert secret not in answer.text


def test_a_request_cannot_forge_a_log_line(server, before):
    raw_request(server, "GET", "/id/%0a2099-01-01%20INFO%20forged%20line%0d%0aanother")
    log = server.log()
    assert "\n2099-01-01 INFO forged line" not in log
    assert "\nanother" not in log
    assert "\\n2099-01-01" in log  # escaped, still readable


def test_still_serving_ordinary_requests(server, before):
    assert requests.get(server + "health", timeout=30).status_code == 200
    response = requests.get(server + "sparql", params={"query": "ASK { ?s ?p ?o }"},
                            timeout=30)
    assert response.json()["boolean"] is True
    assert requests.get(server + "id/plan/kawasaki-2022", timeout=30).status_code == 200


def test_served_data_is_unchanged(server, store, before):
    """Last: after every hostile request the dump is byte for byte the one before."""
    try:
        after = served(server, store)
    except Exception:
        log = server.log()
        at = log.find("panicked")
        print(log[at - 2000: at + 3000] if at >= 0 else log[-6000:])
        raise
    assert after.snapshot == before.snapshot
    assert after.etag == before.etag
    assert after.nquads == before.nquads


def test_stalled_clients_do_not_hold_the_server(store):
    """Trickling clients are cut by a deadline per request, not per read, and hold
    no thread meanwhile (gunicorn's gthread held one per connection for as long as
    a byte came every few seconds: ten such connections stopped the server).

    Request heads trickled one byte a second are cut by the HTTP server at its
    header deadline; a body that does not arrive is answered 408 at the body
    deadline.  Meanwhile the server answers everyone else at once."""
    import socket
    import time

    header_deadline, body_deadline = 3.0, 4.0
    with production_server(store, "--header-timeout", str(header_deadline),
                           "--body-timeout", str(body_deadline), "--threads", "4") as url:
        host, port = url.split("//")[1].rstrip("/").split(":")
        heads, bodies = [], []
        start = time.monotonic()
        for i in range(12):  # three times the threads of a worker
            sock = socket.create_connection((host, int(port)))
            if i % 2:
                sock.sendall(b"GET /health HTTP/1.1\r\n")
                heads.append(sock)
            else:
                sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                             b"Content-Type: application/sparql-query\r\n\r\nASK")
                bodies.append(sock)
        answered = time.monotonic()
        response = requests.get(url + "health", timeout=30)
        assert response.status_code == 200
        assert time.monotonic() - answered < 2, "the server waited for the stalled clients"

        def trickle_until_cut(sock: socket.socket) -> float:
            sock.settimeout(0.5)
            while time.monotonic() - start < 30:
                try:
                    sock.sendall(b"X")
                    if sock.recv(1024) == b"":
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
            return time.monotonic() - start

        cut = [trickle_until_cut(sock) for sock in heads]
        assert max(cut) < header_deadline + 3, f"heads cut after {cut} s"
        answers = []
        for sock in bodies:
            sock.settimeout(body_deadline + 10)
            answers.append(sock.recv(4096).split(b"\r\n", 1)[0])
        assert all(b" 408 " in a for a in answers), answers
        assert time.monotonic() - start < body_deadline + 5
        for sock in heads + bodies:
            sock.close()
        assert "Traceback" not in url.log()
