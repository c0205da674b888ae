"""SPARQL Update on the shipped data, through the token-protected endpoint.

The update runs on the store's copy of the data and that copy is validated, so the
store must keep the data exactly as the files say (``test_canonical_literals.py``):
an edit that keeps the data valid is published, one that breaks a shape is refused
and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from support.server import ServerURL, running_server

from kgraph.config import DEFAULT_BASE

pytestmark = pytest.mark.server

TOKEN = "shipped-data-operator-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLAN = f"{DEFAULT_BASE}id/plan/kawasaki-2022"
ENTRY = f"{PLAN}/entry/055"
POLICY = f"{PLAN}/policy/8"
ENTRIES = f"{DEFAULT_BASE}graph/entries"
PLAN_GRAPH = f"{DEFAULT_BASE}graph/plan"
NEW_LABEL = "Hydrogen Strategy and Carbon Neutral Industry Promotion Programme (edited)"


@pytest.fixture(scope="module")
def writable() -> Iterator[ServerURL]:
    with running_server(env={"KGRAPH_UPDATE_TOKEN": TOKEN}) as url:
        yield url


def update(url: str, text: str, **headers: str) -> requests.Response:
    return requests.post(url + "sparql", data={"update": text}, headers={**AUTH, **headers},
                         timeout=300)


def select(url: str, query: str) -> list[dict[str, str]]:
    response = requests.get(url + "sparql", params={"query": query}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()}
            for row in response.json()["results"]["bindings"]]


def labels(url: str, iri: str) -> dict[str, str]:
    query = f"SELECT ?l (LANG(?l) AS ?lang) WHERE {{ <{iri}> rdfs:label ?l }}"
    rows = select(url, query)
    return {row["lang"]: row["l"] for row in rows}


def graph_dump(url: str, graph: str) -> list[str]:
    response = requests.get(url + "rdf-graph-store", params={"graph": graph}, timeout=30,
                            headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    return sorted(response.text.splitlines())


def test_an_english_label_edit_on_the_shipped_data_is_published(writable: ServerURL) -> None:
    before = labels(writable, ENTRY)
    assert before["en"] != NEW_LABEL
    text = f"""
        DELETE {{ GRAPH <{ENTRIES}> {{ <{ENTRY}> rdfs:label ?old }} }}
        INSERT {{ GRAPH <{ENTRIES}> {{ <{ENTRY}> rdfs:label "{NEW_LABEL}"@en }} }}
        WHERE {{ GRAPH <{ENTRIES}> {{ <{ENTRY}> rdfs:label ?old FILTER (LANG(?old) = "en") }} }}"""
    response = update(writable, text)
    assert 200 <= response.status_code < 300, response.text
    summary = response.json()
    assert summary["quads_after"] == summary["quads_before"]
    assert labels(writable, ENTRY) == {"ja": before["ja"], "en": NEW_LABEL}
    # the linked-data page (web process) serves the new snapshot too
    page = requests.get(ENTRY.replace(DEFAULT_BASE, writable), timeout=30,
                        headers={"Accept": "application/n-triples"})
    assert page.status_code == 200
    assert f'"{NEW_LABEL}"@en' in page.text
    # positions and numbers are still integers as the data writes them
    rows = select(writable, f"""SELECT ?p WHERE {{ <{ENTRY}/activity/1> schema:position ?p
                                   FILTER (DATATYPE(?p) = xsd:integer && ?p = 1) }}""")
    assert len(rows) == 1


def test_an_update_that_breaks_a_shape_is_refused_and_changes_nothing(
    writable: ServerURL,
) -> None:
    before = graph_dump(writable, PLAN_GRAPH)
    text = f"""
        DELETE {{ GRAPH <{PLAN_GRAPH}> {{ <{POLICY}> kgo:policyNumber ?n }} }}
        INSERT {{ GRAPH <{PLAN_GRAPH}> {{ <{POLICY}> kgo:policyNumber 0 }} }}
        WHERE {{ GRAPH <{PLAN_GRAPH}> {{ <{POLICY}> kgo:policyNumber ?n }} }}"""
    response = update(writable, text, Accept="application/json")
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["conforms"] is False
    violations = {(r["focus"], r["path"]) for r in report["results"]
                  if r["severity"] == "Violation"}
    assert violations == {(POLICY, "https://w3id.org/kgraph/ontology#policyNumber")}
    assert "Nothing was changed" in report["message"]
    assert graph_dump(writable, PLAN_GRAPH) == before
    rows = select(writable, f"SELECT ?n WHERE {{ <{POLICY}> kgo:policyNumber ?n }}")
    assert [row["n"] for row in rows] == ["8"]
