"""The query-text lexer: dataset clauses, query forms, SERVICE/LOAD targets, USING."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib.plugins.sparql.parser import parseQuery

from kgraph.engine.sparql_text import add_using, analyse

BASE = "http://base.example/"


@pytest.mark.parametrize(
    ("query", "has_from"),
    [
        ("SELECT * FROM <g> { ?s ?p ?o }", True),
        ("select * from named <g> { ?s ?p ?o }", True),
        ("ASK FROM:g {}", True),
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT ?from { ?s <http://x/FROM> 'FROM' }", False),
        ("SELECT * { ?s ?p ?o } # FROM <g>", False),
        ('SELECT * { ?s ?p """\nFROM <g>\n""" }', False),
        ("SELECT * { ?s ?p 'it''s' } ", False),
        ("PREFIX from: <http://f/> SELECT * { ?s from:x ?o }", True),  # conservative
        ("SELECT * { ?s ?p ?o FILTER(?o < 3) }", False),
        ("SELECT * { ?s ?p ?o FILTER(?o<?s) }", False),
        ("CONSTRUCT { ?s ?p ?o } FROM <g> WHERE { ?s ?p ?o }", True),
        ("SELECT * { ?s ?p \"x\"@from }", False),
        ("SELECT * { _:from ?p ?o }", False),
    ],
)
def test_dataset_clause(query: str, has_from: bool) -> None:
    assert analyse(query).has_dataset_clause is has_from


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("PREFIX s: <http://select/> ASK { ?s s:select ?o }", "ASK"),
        ("BASE <x> SELECT * {}", "SELECT"),
        ("construct where { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <x>", "DESCRIBE"),
        ("# SELECT\nASK {}", "ASK"),
        ("ASK { { SELECT * {} } }", "ASK"),
    ],
)
def test_query_form(query: str, form: str) -> None:
    assert analyse(query).form == form


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("SELECT * { SERVICE <http://h.example/s> {} }", ["http://h.example/s"]),
        ("SELECT * { SERVICE SILENT <http://h.example/s> {} }", ["http://h.example/s"]),
        ("SELECT * {SERVICE<http://h.example/s>{}}", ["http://h.example/s"]),
        ("PREFIX : <http://h.example/> SELECT * { SERVICE:s {} }", ["http://h.example/s"]),
        ("PREFIX e: <http://h.example/> SELECT * { service silent e:s {} }",
         ["http://h.example/s"]),
        ("BASE <http://h.example/a/> SELECT * { SERVICE <../s> {} }", ["http://h.example/s"]),
        ("SELECT * { SERVICE <//other.example/s> {} }", ["http://other.example/s"]),
        ("SELECT * { SERVICE ?x {} }", [None]),
        ("SELECT * { SERVICE <http://\\u0068.example/> {} }", ["http://h.example/"]),
        ("PREFIX e: <http://h.example> SELECT * { SERVICE e:\\.evil.example {} }",
         ["http://h.example.evil.example"]),
        ("LOAD <http://h.example/d.ttl> INTO GRAPH <g>", ["http://h.example/d.ttl"]),
        ("LOAD SILENT:d", ["http://dflt.example/d"]),
        ("SELECT * { ?s <http://x/SERVICE> 'SERVICE <http://h/>' } # SERVICE <http://h/>", []),
    ],
)
def test_remote_targets(text: str, targets: list[str | None]) -> None:
    remotes = analyse(text, base=BASE, prefixes={"": "http://dflt.example/"}).remotes
    assert [r.iri for r in remotes] == targets


def test_using_is_added_to_modify_operations_only() -> None:
    update = (
        "PREFIX w: <http://where/> INSERT { GRAPH <g> { ?s ?p ?o } } WHERE { ?s ?p ?o "
        "{ SELECT * WHERE { ?s ?p ?o } } } ; DELETE WHERE { ?s w:where ?o } ; "
        "INSERT DATA { <a> <b> 'WHERE' } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    )
    out = add_using(update, ["http://u/1"], ["http://n/1"])
    assert out.count("USING <http://u/1> USING NAMED <http://n/1> WHERE") == 2
    assert "DELETE WHERE" in out
    assert add_using(update, [], []) == update


def test_using_or_with_detected() -> None:
    assert analyse("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").has_using_or_with
    assert analyse("DELETE { ?s ?p ?o } USING <g> WHERE { ?s ?p ?o }").has_using_or_with
    assert not analyse("DELETE { ?s ?p 'WITH' } WHERE { ?s ?p 'USING' }").has_using_or_with


# ---------------------------------------------------------------------------
# Property: the lexer agrees with rdflib's SPARQL parser about FROM clauses
# ---------------------------------------------------------------------------

WORDS = ["FROM", "from", "SERVICE", "named", "select", "x"]
literal = st.builds(
    lambda w, q: f"{q}{w}{q}",
    st.sampled_from([*WORDS, "a # b", "FROM <g>", "a } { b", "}"]),
    st.sampled_from(["'", '"', "'''", '"""']),
)
iri = st.builds(lambda w: f"<http://example.org/{w}#{w}>", st.sampled_from(WORDS))
resource = st.one_of(
    iri,
    st.builds(lambda w: f"?{w}", st.sampled_from(WORDS)),
    st.builds(lambda w: f"ex:{w}", st.sampled_from(WORDS)),
)
term = st.one_of(
    resource, literal, st.builds(lambda w: f'"v"@{w.lower()}', st.sampled_from(WORDS))
)
comment = st.builds(lambda w: f" # {w} <http://c/>\n", st.sampled_from(WORDS))


@settings(max_examples=100, deadline=None)
@given(
    dataset=st.lists(st.sampled_from(["FROM <http://g/1>", "FROM NAMED <http://g/2>",
                                      "from <http://g/3>"]), max_size=2),
    triples=st.lists(st.tuples(resource, resource, term), min_size=1, max_size=3),
    comments=st.lists(comment, max_size=2),
)
def test_dataset_clause_agrees_with_rdflib(dataset, triples, comments) -> None:
    body = " . ".join(f"{s} {p} {o}" for s, p, o in triples)
    query = (
        "PREFIX ex: <http://example.org/>\nSELECT * " + " ".join(dataset)
        + "".join(comments) + " WHERE { " + body + " }"
    )
    parsed = parseQuery(query)
    expected = "datasetClause" in parsed[1]
    assert analyse(query).has_dataset_clause is expected, query
