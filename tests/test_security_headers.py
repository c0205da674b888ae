"""Security headers, no server internals in errors, secrets only from the environment.

* Every HTML page of the site (crawled from ``/`` on the real server, plus the pages
  that only a form or an error reaches) carries a Content-Security-Policy that allows
  no inline script and no other origin's script, ``X-Content-Type-Options: nosniff``
  and a ``Referrer-Policy``, and has no inline script or event handler.  Every other
  answer carries ``nosniff`` too.
* Error answers - from the production server, including a killed
  500 (an executor killed under a running query) - show no traceback, path, version
  or exception name, and the ``Server`` header names no version.
* The operator token comes only from the environment: no flag takes it, it never
  appears in an answer, a log line, a process command line or an executor's
  environment, and it is compared in constant time (``hmac.compare_digest``; no
  ``==`` on it anywhere).
"""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from support.hostile import TOKEN, Answer, internals, load_store, production_server
from support.markup import assert_no_active_markup
from support.processes import children, executors_below
from support.server import ROOT

from kgraph.config import Config

pytestmark = pytest.mark.server

#: Pages a crawl from / does not reach (forms, errors, negotiated variants).
EXTRA_PAGES = [
    "/", "/query", "/query?example=entries-per-policy", "/search?q=水素", "/search?q=",
    "/plan", "/validation", "/catalog", "/.well-known/void", "/dumps/", "/ontology",
    "/shapes", "/id/plan/kawasaki-2022", "/no/such/page", "/id/no/such/thing",
    "/search?q=x&limit=-1",
]
MAX_PAGES = 150


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def check_html_headers(url: str, response: requests.Response) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy"), url
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{url}: no Content-Security-Policy"
    directives = csp_directives(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{url}: CSP without script-src or default-src"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, csp
    assert not any(s == "*" or s.startswith(("http:", "https:", "data:")) for s in scripts), csp
    assert directives.get("object-src") == ["'none'"], csp
    assert "frame-ancestors" in directives, csp


def crawl(base: str) -> dict[str, requests.Response]:
    """HTML pages reachable from / and the extra pages, at most MAX_PAGES."""
    host = urlsplit(base).netloc
    queue = deque(urljoin(base, p) for p in EXTRA_PAGES)
    seen: dict[str, requests.Response] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = requests.get(url, headers={"Accept": "text/html", "Accept-Language": "ja"},
                                timeout=60)
        seen[url] = response
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"#]+)', response.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            if urlsplit(target).netloc == host and "/dumps/kgraph" not in target:
                queue.append(target)
    return seen


def test_every_html_page_has_the_security_headers(server):
    pages = crawl(server)
    html = {u: r for u, r in pages.items()
            if r.headers.get("Content-Type", "").startswith("text/html")}
    assert len(html) >= 40, f"the crawl found only {len(html)} pages"
    for url, response in html.items():
        assert response.status_code < 500, url
        check_html_headers(url, response)
        assert_no_active_markup(response.text)


def test_other_answers_are_not_sniffed(server):
    for path, kwargs in [
        ("sparql?query=ASK%7B%7D", {}),
        ("sparql?query=ASK%7B", {}),
        ("id/plan/kawasaki-2022.ttl", {}),
        ("dumps/kgraph.nq.gz", {}),
        ("health", {}),
        ("robots.txt", {}),
        ("static/kgraph.css", {}),
        ("no/such/page", {"headers": {"Accept": "text/plain"}}),
        ("sparql", {"headers": {"Accept": "text/turtle"}}),
    ]:
        response = requests.get(server + path, timeout=60, **kwargs)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy"), path


def _answer(response: requests.Response) -> Answer:
    return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                  response.content)


ERRORS = [
    ("GET", "sparql?query=SELEKT", {}),
    ("GET", "sparql?query=ASK%7B%7D&timeout=x", {}),
    ("GET", "sparql?query=ASK%7B%7D", {"headers": {"Accept": "image/png"}}),
    ("POST", "sparql", {"data": b"x", "headers": {"Content-Type": "text/plain"}}),
    ("POST", "sparql", {"data": b"#" * 1_100_000,
                        "headers": {"Content-Type": "application/sparql-query"}}),
    ("PUT", "sparql", {"data": b"x"}),
    ("POST", "sparql", {"data": {"update": "CLEAR ALL"}}),
    ("GET", "id/%ff", {}),
    ("GET", "no/such/page", {"headers": {"Accept": "text/plain"}}),
    ("GET", "no/such/page", {}),
    ("POST", "validation", {"files": {"file": ("x.ttl", b"<a> <b> .")}}),
    ("POST", "validation", {"data": b"x", "headers": {"Content-Type": "image/png"}}),
    ("GET", "search?q=x&limit=abc", {}),
]


def check_errors(base: str) -> None:
    for method, path, kwargs in ERRORS:
        response = requests.request(method, base + path, timeout=60, **kwargs)
        answer = _answer(response)
        assert 400 <= answer.status < 500, (path, answer.status)
        assert not internals(answer), (path, internals(answer))
        server = response.headers.get("Server", "")
        assert not re.search(r"\d", server), f"the Server header names a version: {server}"


def test_development_server_errors_show_no_internals(server):
    check_errors(server)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    store = tmp_path_factory.mktemp("headers-store")
    load_store(store)
    with production_server(store, budget=20) as url:
        yield url


def test_production_errors_show_no_internals(production):
    check_errors(production)


def test_a_killed_sandbox_shows_no_internals(production):
    """A sandbox killed under a running query: a clear 422 that says the engine
    stopped, nothing of the server's internals, and the server answers on."""
    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to find the sandboxes")
    result: list[requests.Response] = []
    query = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    thread = threading.Thread(target=lambda: result.append(
        requests.post(production + "sparql", data={"query": query}, timeout=120)))
    thread.start()
    time.sleep(1.5)
    for pid in executors_below(production.process.pid):
        os.kill(pid, signal.SIGKILL)
    thread.join(timeout=120)
    response = result[0]
    assert response.status_code == 422
    assert response.text.startswith("The engine stopped while working on this query")
    assert not internals(_answer(response))
    assert requests.get(production + "sparql", params={"query": "ASK {}"},
                        timeout=60).status_code == 200


# ---------------------------------------------------------------------------
# The operator token
# ---------------------------------------------------------------------------


def test_no_flag_takes_a_token():
    for command in ([sys.executable, str(ROOT / "server.py"), "--help"],
                    [sys.executable, "-m", "kgraph.cli", "load", "--help"]):
        help_text = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                   cwd=ROOT).stdout
        flags = re.findall(r"--[\w-]+", help_text)
        assert not [f for f in flags if "token" in f or "secret" in f], flags


def test_the_token_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("KGRAPH_UPDATE_TOKEN", raising=False)
    assert Config.from_env().update_token is None
    assert Config().update_token is None
    monkeypatch.setenv("KGRAPH_UPDATE_TOKEN", "from-the-environment")
    assert Config.from_env().update_token == "from-the-environment"


def test_the_token_never_shows(production):
    """Not in answers, the log, command lines, or the executors' environment."""
    for path in ["", "health", "sparql", "sparql?query=ASK%7B%7D", "query", "catalog",
                 "validation"]:
        assert TOKEN not in requests.get(production + path, timeout=60).text
    requests.post(production + "sparql", data={"update": "CLEAR ALL"},
                  headers={"Authorization": f"Bearer {TOKEN}x"}, timeout=60)
    assert TOKEN not in production.log()
    server_pid = production.process.pid
    for pid in [server_pid, *children(server_pid), *executors_below(server_pid)]:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            assert TOKEN.encode() not in cmdline.read()
    executors = executors_below(server_pid)
    assert executors
    for pid in executors:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            assert TOKEN.encode() not in environ.read()


def _authorise() -> ast.FunctionDef:
    tree = ast.parse((ROOT / "kgraph" / "web" / "sparql" / "update.py").read_text("utf-8"))
    return next(n for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef) and n.name == "authorise")


def test_the_token_is_compared_in_constant_time():
    """``authorise`` compares with hmac.compare_digest, and nothing compares it with ==."""
    function = _authorise()
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "compare_digest"
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "hmac"]
    assert calls, "authorise() does not call hmac.compare_digest"
    names_in_compare = {
        name.id
        for node in ast.walk(function) if isinstance(node, ast.Compare)
        for name in ast.walk(node) if isinstance(name, ast.Name)
    }
    assert not names_in_compare & {"token", "credentials"}, names_in_compare
    for path in (ROOT / "kgraph").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Compare):
                text = ast.unparse(node)
                assert "update_token ==" not in text and "== token" not in text, (path, text)


def test_the_token_check_works_both_ways(production):
    url = production + "sparql"
    update = "INSERT DATA { GRAPH <urn:x-headers:g> { <urn:x-headers:a> <urn:x-headers:b> 1 } }"
    wrong = "x" * len(TOKEN)
    refused = requests.post(url, data={"update": update},
                            headers={"Authorization": f"Bearer {wrong}"}, timeout=60)
    assert refused.status_code == 403
    accepted = requests.post(url, data={"update": update},
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert accepted.status_code == 200, accepted.text
