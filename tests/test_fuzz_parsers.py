"""Property-based tests (hypothesis) of everything that parses what a client sends.

* Content negotiation: any ``Accept`` header or ``format`` value gives one of the
  offers or a 406, nothing else.
* The SPARQL lexer (:mod:`kgraph.engine.sparql_text`): any text is tokenised without an
  error, tokens are the text's own pieces, the nesting depth agrees with a plain
  count, and - the property that keeps the server from contacting other hosts - for
  SPARQL-like texts in which the lexer finds no ``SERVICE``/``LOAD``, Oxigraph
  itself contacts nothing (a local listener counts connections).
* Query and update parameters, through the Flask app: any method, parameters,
  content type and body get an answer below 500.
* The table import's cell functions and whole-file import: round trips, and any
  bytes are either a table or a :class:`TableError` with places.
* The parse limits of :mod:`kgraph.parse_limits` agree with a plain computation.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from kgraph.config import Config
from kgraph.engine.sparql_text import analyse, nesting_depth, tokens
from kgraph.parse_limits import MAX_NESTING, DocumentTooComplex, check_xml, json_depth
from kgraph.table.cells import (
    broken_text,
    escape_ooxml,
    is_formula_like,
    mojibake_of,
    protect_csv,
    unescape_ooxml,
    unprotect_csv,
)
from kgraph.table.errors import TableError
from kgraph.web.http.conneg import (
    OTHER_NAMES,
    RDF_TYPES,
    RESULT_TYPES,
    NotAcceptable,
    choose,
    choose_for_header,
    choose_format,
)
from kgraph.web.http.errors import ApiError
from kgraph.web.sparql.protocol import _budget, _parse_qs

#: Other names of the formats, as pyoxigraph knows them.
ALIASES = ["application/json", "text/json", "application/xml", "text/xml", "application/x-turtle",
           "application/turtle", "text/n-triples", "text/x-nquads", "application/x-trig"]
SHORT_NAMES = sorted({*OTHER_NAMES, "ttl", "turtle", "nt", "n-triples", "jsonld", "rdf", "xml",
                      "srj", "srx", "csv", "tsv", "nq", "trig", "json-ld", "rdf/xml"})
MEDIA_TYPES = [*RESULT_TYPES, *RDF_TYPES, *ALIASES, "text/html", "*/*", "text/*",
               "application/*", "image/png", "application/json", "text/plain"]

# ---------------------------------------------------------------------------
# Content negotiation
# ---------------------------------------------------------------------------

accept_items = st.tuples(
    st.sampled_from(MEDIA_TYPES) | st.text(max_size=20),
    st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=abc", ";q=-1", ";q=1000",
                     ";charset=utf-8", ";charset=latin1", ";level=1", ";;"]),
).map("".join)
accept_headers = st.lists(accept_items, max_size=6).map(", ".join) | st.text(max_size=80)
offer_lists = st.sampled_from([RESULT_TYPES, RDF_TYPES, ("text/html", *RDF_TYPES)])


@settings(max_examples=1000, deadline=None)
@given(accept_headers, offer_lists)
def test_any_accept_header_gives_an_offer_or_406(header, offers):
    accept = parse_accept_header(header, MIMEAccept)
    try:
        chosen = choose(accept, offers)
    except NotAcceptable as error:
        assert error.code == 406
        return
    assert chosen in offers


@settings(max_examples=300, deadline=None)
@given(accept_headers | st.text(min_size=190, max_size=400), offer_lists)
def test_a_remembered_choice_is_the_choice_made_afresh(header, offers):
    """``choose_for_header`` remembers choices and refusals per header: the first and
    the remembered answer are what ``choose`` says, refusals with the same message."""
    try:
        expected: object = choose(parse_accept_header(header, MIMEAccept), offers)
    except NotAcceptable as error:
        expected = error.description
    for _ in range(2):
        try:
            got: object = choose_for_header(header, offers)
        except NotAcceptable as error:
            got = error.description
        assert got == expected


@pytest.mark.parametrize("header", ["application/sparql-results+json, CSV", "text/turtle, csv",
                                    "CSV, text/turtle;q=0.5", "json, application/json"])
@pytest.mark.parametrize("offers", [RESULT_TYPES, RDF_TYPES])
def test_a_format_name_in_accept_is_no_offer(header, offers):
    """Found by the property above: a short name beside a media type was a 500."""
    test_any_accept_header_gives_an_offer_or_406.hypothesis.inner_test(header, offers)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(SHORT_NAMES) | st.sampled_from(MEDIA_TYPES) | st.text(max_size=30),
       offer_lists)
def test_any_format_value_gives_an_offer_or_406(value, offers):
    try:
        chosen = choose_format(value, offers)
    except NotAcceptable:
        return
    assert chosen in offers


# ---------------------------------------------------------------------------
# The SPARQL lexer
# ---------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=300))
def test_the_lexer_takes_any_text(text):
    for token in tokens(text):
        assert text[token.start:token.start + len(token.text)] == token.text
        assert token.depth >= 0
    analysis = analyse(text, base="http://example.org/")
    assert all(r.keyword in ("SERVICE", "LOAD") for r in analysis.remotes)
    assert nesting_depth(text) >= 0


KEYWORDISH = st.lists(st.sampled_from(
    ["FROM", "from", "FrOm", "NAMED", "USING", "WITH", "with", "SERVICE", "LOAD", "SILENT",
     "1FROM", "FROM:g", ":from", "<g>", "<http://h.example/>", "?x", " ", "\n", "# c\n",
     "'s'", '"""', "{", "}", "SELECT", "ASK", "INSERT", "WHERE", "PREFIX p: <http://p/>",
     "p:x", "\\u0046ROM", "_:from", "@from", "\u017F", "\u212A", "FRO", "M"]),
    max_size=30).map(" ".join) | st.text(max_size=200)


@settings(max_examples=500, deadline=None)
@given(KEYWORDISH)
# Letters that are not ASCII but whose upper case is (the lexer upper-cases words):
# the long s and the dotless i, glued into keywords (a break found by hand).
@example("SELECT * { \u017FERVICE <http://example.org/x> { ?s ?p ?o } }")
@example("INSERT DATA {} ; U\u017FING <http://g/> W\u0131TH <http://g/>")
@example("LOAD \u017Filent")
@example("SELECT * FROM <http://g/> WHERE { ?s ?p ?o } # with")
@example("SELECT * WHERE { ?s ?p ?o } # entries with a place, from the plan")
def test_skipping_the_lexer_changes_no_analysis(text):
    """``analyse(form=False)`` skips lexing a text without the letters of a recorded
    keyword: its answer is the lexer's, the query form aside - for an update and for
    a query (whose USING and WITH are not recorded)."""
    for update in (True, False):
        full = analyse(text, base="http://example.org/", update=update)
        quick = analyse(text, base="http://example.org/", form=False, update=update)
        full.form = quick.form = None
        assert quick == full


def test_a_query_saying_with_in_a_comment_is_not_lexed(monkeypatch):
    """The example queries say "with" in their comments; run as queries they are not
    lexed for it (USING and WITH belong to updates), and an update still is."""
    from kgraph.engine import sparql_text
    from kgraph.examples import load_examples

    lexed = []
    real = sparql_text.tokens
    monkeypatch.setattr(sparql_text, "tokens", lambda text: lexed.append(text) or real(text))
    text = "SELECT * WHERE { ?s ?p ?o } # entries with a leading project"
    assert analyse(text, form=False, update=False) == sparql_text.Analysis()
    assert lexed == []
    assert not analyse(text, form=False, update=True).has_using_or_with
    assert lexed == [text]
    skipped = [e.name for e in load_examples()
               if "WITH" in e.text.upper() and "FROM" not in e.text.upper()]
    lexed.clear()
    for query in load_examples():
        if query.name in skipped:
            analyse(query.text, form=False, update=False)
    assert skipped and lexed == []


BRACKETS = st.lists(st.sampled_from(["{", "}", "(", ")", "[", "]", " ", "?x", "1"]),
                    max_size=600).map("".join)


@settings(max_examples=500, deadline=None)
@given(BRACKETS)
def test_nesting_depth_counts_brackets_outside_strings(text):
    depth = deepest = 0
    for char in text:
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth = max(depth - 1, 0)
    measured = nesting_depth(text)
    assert measured >= deepest  # a bound on short texts, exact on long ones
    if text.count("{") + text.count("(") + text.count("[") > MAX_NESTING:
        assert measured == deepest
    quoted = '"' + text.replace("\\", "").replace('"', "") + '"'
    assert nesting_depth(quoted * 3) <= 3 * (quoted.count("{") + quoted.count("(")
                                             + quoted.count("["))


class _Listener:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    listener = _Listener()
    yield listener
    listener.close()


def _sparql_like(port: int):
    target = f"http://127.0.0.1:{port}/sparql"
    escaped = "".join(f"\\u{ord(c):04X}" for c in target)
    keyword = st.sampled_from(["SERVICE", "service", "Service", "SERVICE SILENT", "SeRvIcE",
                               "SERVIC", "SERVICEX", "S\\u0045RVICE", "_:SERVICE", "?SERVICE",
                               "SERVICE:", ":SERVICE", "SERVICE#"])
    iri = st.sampled_from([f"<{target}>", f"<{escaped}>", "remote:", "<>", "?endpoint",
                           f'"{target}"', f"<{target}", f"<//127.0.0.1:{port}/>"])
    filler = st.sampled_from([" ", "\n", "\t", "# comment\n", "#", "'", '"', '"""', "<",
                              ">", "{", "}", ".", "?s ?p ?o", "OPTIONAL", "GRAPH ?g",
                              "\\", "'''", "@en", "^^", "_:b", "1.5e3", "a"])
    prologue = st.sampled_from(["", f"PREFIX remote: <{target}>\n",
                                f"BASE <{target}>\n", "PREFIX remote: <urn:x>\n",
                                f"BASE <http://127.0.0.1:{port}/>\n"])
    body = st.lists(st.one_of(keyword, iri, filler), max_size=25).map(" ".join)
    return st.tuples(prologue, body).map(lambda p: f"{p[0]}SELECT * WHERE {{ {p[1]} }}")


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_where_the_lexer_sees_no_remote_oxigraph_contacts_nothing(listener, data):
    text = data.draw(_sparql_like(listener.port))
    analysis = analyse(text, base=f"http://127.0.0.1:{listener.port}/")
    assume(not analysis.remotes)
    before = listener.hits
    store = ox.Store()
    try:
        results = store.query(text, base_iri=f"http://127.0.0.1:{listener.port}/")
        if isinstance(results, ox.QuerySolutions):
            list(results)
    except (SyntaxError, ValueError, OSError):
        pass
    assert listener.hits == before, f"Oxigraph connected for {text!r}"


def test_the_fragments_can_make_oxigraph_connect(listener):
    """The control: the generator's pieces do make a query that connects, and the lexer
    sees that one (so the property above is not vacuous)."""
    text = (f"PREFIX remote: <http://127.0.0.1:{listener.port}/sparql>\n"
            "SELECT * WHERE { SERVICE SILENT remote: { ?s ?p ?o } }")
    assert analyse(text).remotes
    before = listener.hits
    list(ox.Store().query(text))
    assert listener.hits > before


# ---------------------------------------------------------------------------
# Query and update parameters, through the app
# ---------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_form_decoding_is_a_list_or_a_400(data):
    try:
        pairs = _parse_qs(data)
    except ApiError as error:
        assert error.code == 400
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)


class _State:
    def __init__(self, limit: float) -> None:
        self.config = Config(query_timeout=limit)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20) | st.sampled_from(["nan", "inf", "-inf", "1e400", "0", "-0",
                                                 "1e-400", "0x10", "½", "٣", "1_000"]))
def test_a_timeout_is_within_the_budget_or_a_400(raw):
    from kgraph.web.sparql.protocol import Params

    try:
        budget = _budget(Params([("timeout", raw)]), _State(30.0))
    except ApiError as error:
        assert error.code == 400
        return
    assert 0 < budget <= 30.0


@pytest.fixture(scope="module")
def client():
    from kgraph.web import create_app
    from kgraph.web.state import AppState

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("o"), ox.NamedNode("http://example.org/g")))
    config = Config(query_timeout=2.0, update_token="fuzz-token", executors=1)
    app = create_app(config, AppState.for_store(config, store))
    app.testing = False  # errors become answers, as in production
    yield app.test_client()
    from kgraph.engine.sandbox import close_pools

    close_pools()


PARAMS = st.lists(
    st.tuples(st.sampled_from(["query", "update", "format", "timeout", "default-graph-uri",
                               "named-graph-uri", "using-graph-uri", "graph", "default",
                               "x"]),
              st.sampled_from(["ASK {}", "SELECT * { ?s ?p ?o }", "CLEAR ALL", "json", "ttl",
                               "1", "-1", "", "http://example.org/g", "not an iri",
                               "SELECT * WHERE { SERVICE <http://127.0.0.1/> {} }"])
              | st.text(max_size=30)),
    max_size=4,
)
#: What a client can send as a header value (no line breaks).
HEADER_VALUES = accept_headers.map(lambda h: " ".join(h.splitlines()))
CONTENT_TYPES = st.sampled_from([
    None, "application/x-www-form-urlencoded", "application/sparql-query",
    "application/sparql-update", "application/sparql-query; charset=latin1",
    "multipart/form-data; boundary=x", "text/turtle", "application/json", "",
])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
       params=PARAMS, content_type=CONTENT_TYPES, body=st.binary(max_size=120),
       accept=HEADER_VALUES, auth=st.sampled_from([None, "Bearer fuzz-token", "Bearer x",
                                                   "Basic eA==", "Bearer"]))
def test_any_request_to_the_endpoint_is_answered_below_500(client, method, params,
                                                           content_type, body, accept, auth):
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)
    headers = {"Accept": accept}
    if auth:
        headers["Authorization"] = auth
    response = client.open(f"/sparql?{query}", method=method, data=body,
                           content_type=content_type, headers=headers)
    assert response.status_code < 500, (
        response.status_code, response.get_data(as_text=True)[:300])


# ---------------------------------------------------------------------------
# Table cells and whole tables
# ---------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_csv_protection_round_trips_and_disarms(text):
    protected = protect_csv(text)
    assert unprotect_csv(protected) == text
    assert not is_formula_like(protected)


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_ooxml_escaping_round_trips(text):
    assert unescape_ooxml(escape_ooxml(text)) == text


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_damage_checks_take_any_text(text):
    """No text makes the checks fail; a finding always has both languages."""
    found = broken_text(text)
    assert found is None or (found[0] and found[1])


JAPANESE = st.text(
    alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3093)  # hiragana
    | st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # kanji
    min_size=2, max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(JAPANESE, st.sampled_from(["latin-1", "cp1252"]))
def test_mojibake_is_recognised_and_clean_japanese_is_not(text, wrong):
    """Clean Japanese is never reported; the same text saved as UTF-8 and read back
    in a Western encoding is recognised, and the original is given back."""
    assert broken_text(text) is None
    try:
        damaged = text.encode("utf-8").decode(wrong)
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
        return
    assert mojibake_of(damaged) == text
    assert broken_text(damaged) is not None


@pytest.fixture(scope="module")
def plan_context():
    from kgraph.table.files import context_for

    return context_for(Config())


@pytest.fixture(scope="module")
def plan_table() -> bytes:
    from support.hostile import CORPUS

    return (CORPUS / "uploads" / "plan-table.csv").read_bytes()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_table_is_read_or_refused_with_places(plan_context, plan_table, data):
    """Bytes of the real table cut, overwritten or spliced: a table or a TableError."""
    from kgraph.table.files import import_table

    table = bytearray(plan_table)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(table)))
        piece = data.draw(st.binary(max_size=12) | st.sampled_from(
            [b'"', b",", b"\r\n", b"=", b"\x00", b"\xff", b"'", b"\xe3\x81"]))
        cut = data.draw(st.integers(0, 8))
        table[at:at + cut] = piece
    name = data.draw(st.sampled_from(["plan.csv", "plan.xlsx"]))
    try:
        triples = import_table(bytes(table), name, plan_context)
    except TableError as error:
        assert error.errors
        for problem in error.errors:
            assert problem.text("en") and problem.text("ja")
        return
    assert isinstance(triples, list)


# ---------------------------------------------------------------------------
# Parse limits
# ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=40,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=500, deadline=None)
@given(json_values, st.integers(0, 300))
def test_json_depth_is_the_nesting_of_the_value(value, wrap):
    for _ in range(wrap):
        value = [value]
    text = json.dumps(value, ensure_ascii=False).encode()
    depth = json_depth(text)
    if text.count(b"{") + text.count(b"[") > MAX_NESTING:
        assert depth == _depth(value)
    else:
        assert depth >= _depth(value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_xml_check_takes_any_bytes(data):
    with contextlib.suppress(DocumentTooComplex):
        check_xml(data)



@pytest.mark.parametrize(("asked", "offers", "expected"), [
    ("application/json", RESULT_TYPES, "application/sparql-results+json"),
    ("application/json", RDF_TYPES, "application/ld+json"),
    ("text/json", RESULT_TYPES, "application/sparql-results+json"),
    ("application/xml", RESULT_TYPES, "application/sparql-results+xml"),
    ("text/xml", RDF_TYPES, "application/rdf+xml"),
    ("application/x-turtle", RDF_TYPES, "text/turtle"),
    ("text/n-triples", RDF_TYPES, "application/n-triples"),
    ("text/turtle;charset=utf-8", RDF_TYPES, "text/turtle"),
    ("application/json", ("application/json", "text/turtle", "text/plain"), "application/json"),
])
def test_other_names_of_a_format_are_pyoxigraphs(asked, offers, expected):
    """Aliases come from pyoxigraph's format tables, not from a table of our own."""
    assert choose(parse_accept_header(asked, MIMEAccept), offers) == expected
    assert choose_format(asked, offers) == expected


@pytest.mark.parametrize(("name", "offers", "expected"), [
    ("json", RESULT_TYPES, "application/sparql-results+json"),
    ("json", RDF_TYPES, "application/ld+json"),
    ("json", ("application/json", "text/turtle", "text/plain"), "application/json"),
    ("xml", RDF_TYPES, "application/rdf+xml"),
    ("ttl", RDF_TYPES, "text/turtle"),
    ("turtle", RDF_TYPES, "text/turtle"),
    ("n-triples", RDF_TYPES, "application/n-triples"),
    ("ntriples", RDF_TYPES, "application/n-triples"),
    ("jsonld", RDF_TYPES, "application/ld+json"),
    ("rdf", RDF_TYPES, "application/rdf+xml"),
    ("srj", RESULT_TYPES, "application/sparql-results+json"),
    ("tsv", RESULT_TYPES, "text/tab-separated-values"),
    ("html", ("text/html", *RDF_TYPES), "text/html"),
])
def test_format_names(name, offers, expected):
    assert choose_format(name, offers) == expected
