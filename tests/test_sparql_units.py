"""Units of the endpoint: content negotiation and the executor pool."""

from __future__ import annotations

import os

import pytest
from flask import Flask
from support.processes import ended

from kgraph.engine.sandbox import ENV_STORE, BudgetExceeded, SandboxPool
from kgraph.web.http.conneg import (
    RDF_TYPES,
    RESULT_TYPES,
    NotAcceptable,
    negotiate,
)
from kgraph.web.state import temporary_store

app = Flask(__name__)


def pick(offers, accept=None, query=""):
    headers = {"Accept": accept} if accept is not None else {}
    with app.test_request_context("/x" + query, headers=headers):
        from flask import request

        return negotiate(request, offers)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv, */*;q=0.1", "text/csv"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/tab-separated-values;charset=UTF-8", "text/tab-separated-values"),
        ("application/*;q=0.5, text/csv;q=0.4", "application/sparql-results+json"),
        ("text/csv;q=0, */*", "application/sparql-results+json"),
    ],
)
def test_results_by_accept(accept, expected) -> None:
    assert pick(RESULT_TYPES, accept) == expected


def test_rdf_aliases_and_format_parameter() -> None:
    assert pick(RDF_TYPES, "application/json") == "application/ld+json"
    assert pick(RDF_TYPES, "text/xml") == "application/rdf+xml"
    assert pick(RDF_TYPES, "application/x-turtle") == "text/turtle"
    assert pick(RDF_TYPES, "image/png", "?format=nt") == "application/n-triples"
    assert pick(RESULT_TYPES, None, "?format=json") == "application/sparql-results+json"
    assert pick(RDF_TYPES, None, "?format=json") == "application/ld+json"


def test_not_acceptable_lists_offers() -> None:
    with pytest.raises(NotAcceptable) as error:
        pick(RESULT_TYPES, "image/png")
    assert "text/csv" in error.value.description
    with pytest.raises(NotAcceptable):
        pick(RESULT_TYPES, "text/csv; charset=iso-8859-1")
    with pytest.raises(NotAcceptable):
        pick(RESULT_TYPES, None, "?format=turtle")


def test_pool_kills_an_overrunning_sandbox_and_replaces_it() -> None:
    env = {**os.environ, ENV_STORE: temporary_store([])}
    pool = SandboxPool(1, env)
    try:
        first = pool.call({"op": "ping"}, budget=30)[0]["pong"]
        with pytest.raises(BudgetExceeded):
            pool.call({"op": "sleep", "seconds": 30}, budget=0.5)
        second = pool.call({"op": "ping"}, budget=30)[0]["pong"]
        assert second != first
        assert ended(first)
    finally:
        pool.close()
