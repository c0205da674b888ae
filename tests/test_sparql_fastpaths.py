"""The endpoint's fast paths give exactly what the plain library calls give.

* ``_parse_qs`` (form and query-string decoding) against ``urllib.parse.parse_qsl``;
* ``analyse_query`` (stops after the query form when no FROM/SERVICE/LOAD/USING/WITH
  can occur) against ``sparql_text.analyse``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgraph.engine.sparql_text import analyse
from kgraph.examples import load_examples
from kgraph.iris import PREFIXES
from kgraph.web.http.errors import ApiError
from kgraph.web.sparql.protocol import _parse_qs, analyse_query

BASE = "http://base.example/"

PIECES = [*"%\\+ax0F9gé日&=;", "%41", "%E6%97%A5", "%5C", "%25", "%ff", "%e3%81", "%2B", "%4", "%%"]


def _stdlib(text: str) -> list[tuple[str, str]] | None:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def _ours(text: str) -> list[tuple[str, str]] | None:
    try:
        return _parse_qs(text)
    except ApiError:
        return None


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_form_decoding_agrees_with_parse_qsl(text: str) -> None:
    assert _ours(text) == _stdlib(text)


@pytest.mark.parametrize(
    "text",
    ["a%5Cb", "%5C%5Cx41", "\\x41%41", "%zz%4", "100%", "a+b%2B", "\\\\", "\\%41", "%%41",
     "query=SELECT+*+%7B%7D&format=json&format=", "a&&b=&=c", "\\N{DIGIT ONE}%41"],
)
def test_form_decoding_edge_cases(text: str) -> None:
    assert _ours(text) == _stdlib(text)


def test_invalid_utf8_escape_is_refused() -> None:
    with pytest.raises(ApiError) as info:
        _parse_qs("query=%E6%97")
    assert info.value.code == 400


def test_example_forms_round_trip() -> None:
    for example in load_examples():
        body = urlencode([("query", example.text), ("default-graph-uri", BASE + "g")])
        assert _parse_qs(body) == [("query", example.text), ("default-graph-uri", BASE + "g")]


QUERIES = [
    "SELECT * { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/> ASK { ex:a ex:b ?c }",
    "BASE <http://x/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE <http://example.org/a>",
    "# SELECT in a comment\nASK {}",
    "SELECT * FROM <g> { ?s ?p ?o }",
    "SELECT * { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }",
    "SELECT * { ?s <http://x/load> ?o }",
    "SELECT * { ?s ?p 'with' }",
    "LOAD <http://example.org/data.ttl>",
    "not a query",
    "",
    "SELECT (1 AS ?x) { { SELECT * { ?a ?b ?c } } }",
    "PREFIX ex:<http://x/> SELECT*{}",
    "BASE<http://x/>ASK{}",
    "base <http://x/> prefix : <http://x/> describe :a",
    "PREFIX é: <http://x/> SELECT * {}",
    "PREFIX ex.a: <http://x/> SELECT * {}",
    "PREFIX ex:a <http://x/> SELECT * {}",
    "SELECT-x:y { }",
    "SELECT.x",
    "ASK:x {}",
    "PREFIXex: <http://x/> ASK {}",
    "BASE: <http://x/> ASK {}",
    "PREFIX ex: <http://x/\\u0041> ASK {}",
    "# c\n  PREFIX e: <http://e/> # d\n CONSTRUCT WHERE { ?s ?p ?o }",
    "SELECTx * {}",
]


@pytest.mark.parametrize("query", QUERIES + [e.text for e in load_examples()])
def test_analyse_query_agrees_with_analyse(query: str) -> None:
    assert analyse_query(query, BASE) == analyse(query, base=BASE, prefixes=PREFIXES)


WORDS = ["select", "ASK", "construct", "Describe", "from", "SERVICE", "load", "x", "with", "y"]
TOKENS = st.one_of(
    st.sampled_from(WORDS),
    st.builds(lambda w: f"<http://e/{w}>", st.sampled_from(WORDS)),
    st.builds(lambda w: f"'{w}'", st.sampled_from(WORDS)),
    st.builds(lambda w: f"?{w}", st.sampled_from(WORDS)),
    st.builds(lambda w: f"# {w}\n", st.sampled_from(WORDS)),
    st.sampled_from(["{", "}", "PREFIX e: <http://e/>", "e:x", ".", "BASE <http://b/>",
                     "PREFIX e:<http://e/>", "PREFIX : <http://e/>", "#c\n", ":", "-", "*"]),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(TOKENS, max_size=15), st.sampled_from([" ", "", "\n"]))
def test_analyse_query_agrees_on_generated_texts(parts: list[str], glue: str) -> None:
    query = glue.join(parts)
    assert analyse_query(query, BASE) == analyse(query, base=BASE, prefixes=PREFIXES)


@pytest.mark.parametrize(
    "query",
    ["SELECT * { SERVICE <http://r/> {} }", "SELECT * { ſervice <http://r/> {} }",
     "SELECT * ﬁrom <g> {}", "ASK { ?s <http://x/Kload> ?o }"],
)
def test_keywords_matched_as_the_lexer_matches_them(query: str) -> None:
    """The lexer upper-cases words (``ſ`` becomes ``S``); so does the pre-check."""
    assert analyse_query(query, BASE) == analyse(query, base=BASE, prefixes=PREFIXES)


def test_long_texts_are_analysed_but_not_remembered() -> None:
    """A query of near the body limit is analysed in full each time, never kept in
    the per-process cache (512 such texts would pin half a gigabyte)."""
    from kgraph.web.sparql import protocol as sparql

    padding = "# " + "x" * (sparql.CACHED_ANALYSIS_CHARS) + "\n"
    text = padding + "SELECT * FROM <http://example.org/g> { ?s ?p ?o }"
    before = sparql._full_analysis.cache_info().currsize
    analysis = analyse_query(text, "http://example.org/")
    assert analysis == analyse(text, base="http://example.org/", prefixes=PREFIXES)
    assert analysis.form == "SELECT"
    assert sparql._full_analysis.cache_info().currsize == before
