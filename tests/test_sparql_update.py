"""SPARQL Update: operator token, the validation gate, and what every process then serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rdflib
import requests
from support.server import ServerURL, running_server

pytestmark = pytest.mark.server

TOKEN = "s3cret-operator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "http://example.org/graph/1"


@pytest.fixture(scope="module")
def writable(small_data: str) -> Iterator[ServerURL]:
    with running_server("--data", small_data, env={"KGRAPH_UPDATE_TOKEN": TOKEN}) as url:
        yield url


def ask(url: str, query: str) -> bool:
    response = requests.get(url + "sparql", params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def update(url: str, text: str, headers: dict[str, str] | None = None, **params: str):
    return requests.post(url + "sparql", data={"update": text, **params},
                         headers=headers if headers is not None else AUTH, timeout=120)


def test_token_is_required(writable: ServerURL) -> None:
    text = f"INSERT DATA {{ GRAPH <{G}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}"
    missing = update(writable, text, headers={})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in missing.text
    basic = update(writable, text, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    wrong = update(writable, text, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert not ask(writable, "ASK { <http://example.org/x> ?p ?o }")


def test_valid_update_is_published_to_every_reader(writable: ServerURL) -> None:
    text = f"""PREFIX ex: <http://example.org/>
        INSERT DATA {{ GRAPH <{G}> {{ ex:new ex:value 1000 ; rdfs:label "新"@ja, "new"@en }} }}"""
    response = update(writable, text)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["quads_after"] == summary["quads_before"] + 3
    # the query executors and the graph store (web process) both follow the new snapshot
    assert ask(writable, "ASK { <http://example.org/new> <http://example.org/value> 1000 }")
    graph = requests.get(writable + "rdf-graph-store", params={"graph": G}, timeout=30,
                         headers={"Accept": "text/turtle"})
    assert "http://example.org/new" in graph.text
    # direct POST form of the protocol too, with using-graph-uri
    response = requests.post(
        writable + "sparql", params={"using-graph-uri": G}, timeout=120,
        data=f"INSERT {{ GRAPH <{G}> {{ ?s <http://example.org/copied> true }} }} "
             "WHERE { ?s <http://example.org/value> 1000 }".encode(),
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 200, response.text
    assert ask(writable, "ASK { <http://example.org/new> <http://example.org/copied> true }")


def test_violating_update_is_refused_and_changes_nothing(writable: ServerURL) -> None:
    before = requests.get(writable + "rdf-graph-store?default", timeout=30,
                          headers={"Accept": "application/n-triples"}).text
    bad = f"""DELETE {{ GRAPH <{G}> {{ ?s <http://example.org/value> ?v }} }}
              INSERT {{ GRAPH <{G}> {{ <http://example.org/bad> rdfs:label "no language" }} }}
              WHERE {{ GRAPH <{G}> {{ ?s <http://example.org/value> ?v }} }}"""
    response = update(writable, bad, headers={**AUTH, "Accept": "application/json"})
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["conforms"] is False
    focus = {r["focus"] for r in report["results"] if r["severity"] == "Violation"}
    assert focus == {"http://example.org/bad"}
    assert "Nothing was changed" in report["message"]
    as_turtle = update(writable, bad, headers={**AUTH, "Accept": "text/turtle"})
    assert as_turtle.status_code == 422
    report_graph = rdflib.Graph().parse(data=as_turtle.text, format="turtle")
    assert (None, rdflib.SH.focusNode, rdflib.URIRef("http://example.org/bad")) in report_graph
    as_text = update(writable, bad, headers={**AUTH, "Accept": "text/plain",
                                             "Accept-Language": "ja"})
    assert "http://example.org/bad" in as_text.text and "変更されていません" in as_text.text
    after = requests.get(writable + "rdf-graph-store?default", timeout=30,
                         headers={"Accept": "application/n-triples"}).text
    assert sorted(after.splitlines()) == sorted(before.splitlines())
    assert not ask(writable, "ASK { <http://example.org/bad> ?p ?o }")


def test_bad_updates(writable: ServerURL) -> None:
    syntax = update(writable, "INSERT DATA { <a> <b> }")
    assert syntax.status_code == 400 and "syntax error" in syntax.text
    conflict = update(writable, "WITH <http://example.org/graph/1> DELETE { ?s ?p ?o } "
                      "WHERE { ?s ?p ?o }", **{"using-named-graph-uri": G})
    assert conflict.status_code == 400 and "USING or WITH" in conflict.text
    get = requests.get(writable + "sparql", params={"update": "CLEAR ALL"}, headers=AUTH,
                       timeout=30)
    assert get.status_code == 405


def test_service_description_announces_update(writable: ServerURL) -> None:
    text = requests.get(writable + "sparql", headers={"Accept": "text/turtle"}, timeout=30).text
    assert "sd:SPARQL11Update" in text
