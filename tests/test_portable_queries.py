"""The example queries run as-is anywhere: each file declares the prefixes it uses.

Researchers copy ``queries/*.rq`` into other tools (YASGUI, Fuseki, Comunica, rdflib),
which know none of the prefixes kgraph's endpoint predeclares.  So every file is parsed
by two standalone SPARQL parsers given no prefixes at all (rdflib, with even its own
default bindings taken away, and pyoxigraph on an empty store), answered by pyoxigraph
over the shipped data without kgraph's prefixes, and sent as it is by a real external
client (SPARQLWrapper) to the real server; where Comunica is installed (``comunica-sparql``
on ``PATH`` or ``KGRAPH_COMUNICA``), by Comunica too.  The query page and the examples'
JSON show the files as they are, prefixes included.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import NamespaceManager
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql import sparql as rdflib_sparql

from kgraph.config import DEFAULT_BASE
from kgraph.dataset import parse_sources
from kgraph.examples import load_examples
from kgraph.sources import shipped_sources

EXAMPLES = load_examples()
NAMES = [e.name for e in EXAMPLES]


def example(name: str):  # type: ignore[no-untyped-def]
    return next(e for e in EXAMPLES if e.name == name)


@pytest.fixture()
def rdflib_without_prefixes(monkeypatch):
    """rdflib's SPARQL parser with no namespace bound (it binds rdf, rdfs, schema, skos,
    prov ... by default, which would hide an undeclared prefix)."""

    def bare(self) -> None:  # type: ignore[no-untyped-def]
        self.base = None
        self.namespace_manager = NamespaceManager(rdflib.Graph(bind_namespaces="none"),
                                                  bind_namespaces="none")

    monkeypatch.setattr(rdflib_sparql.Prologue, "__init__", bare)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.bulk_extend(parse_sources(shipped_sources(DEFAULT_BASE), DEFAULT_BASE))
    return store


def rows(results) -> list[tuple]:  # type: ignore[no-untyped-def]
    """pyoxigraph solutions as sorted tuples of (variable, SPARQL JSON value)."""
    names = [v.value for v in results.variables]
    out = []
    for solution in results:
        out.append(tuple((n, _json_value(solution[n])) for n in names
                         if solution[n] is not None))
    return sorted(out)


def _json_value(term: ox.Term) -> tuple:
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.Literal):
        return ("literal", _tokens(term.value), term.language or "", "" if term.language
                else term.datatype.value)
    return ("bnode",)


def _tokens(text: str) -> tuple[str, ...]:
    """A literal's words in sorted order: SPARQL leaves the order of GROUP_CONCAT's
    parts undefined, and two stores (the test's and the server's snapshot) differ."""
    return tuple(sorted(re.split(r"\s*/\s*|\s+", text)))


def json_rows(data: dict) -> list[tuple]:
    """SPARQL JSON results as the same tuples."""
    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    out = []
    for binding in data["results"]["bindings"]:
        row = []
        for name in data["head"]["vars"]:
            value = binding.get(name)
            if value is None:
                continue
            if value["type"] == "uri":
                row.append((name, ("uri", value["value"])))
            elif value["type"] == "bnode":
                row.append((name, ("bnode",)))
            else:
                language = value.get("xml:lang", "")
                datatype = "" if language else value.get("datatype", xsd_string)
                row.append((name, ("literal", _tokens(value["value"]), language, datatype)))
        out.append(tuple(row))
    return sorted(out)


# ---------------------------------------------------------------------------
# Standalone parsers, no prefixes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_rdflib_parses_each_file_with_no_prefix_known(rdflib_without_prefixes, name):
    prepareQuery(example(name).text, initNs={})


def test_the_strict_rdflib_parser_does_refuse_an_undeclared_prefix(rdflib_without_prefixes):
    with pytest.raises(Exception, match="Unknown namespace prefix"):
        prepareQuery("SELECT * WHERE { ?s rdfs:label ?o }", initNs={})


@pytest.mark.parametrize("name", NAMES)
def test_pyoxigraph_parses_each_file_on_an_empty_store_with_no_prefixes(name):
    ox.Store().query(example(name).text)  # an undeclared prefix raises SyntaxError


def test_declared_prefixes_give_the_answers_the_predeclared_ones_did(store):
    """Without kgraph's prefixes, each file gives the same rows as with them."""
    from kgraph.iris import PREFIXES

    for item in EXAMPLES:
        bare = rows(store.query(item.text, use_default_graph_as_union=True))
        predeclared = rows(store.query(item.text, prefixes=PREFIXES,
                                       use_default_graph_as_union=True))
        assert bare == predeclared, item.name
        assert bare, f"{item.name} has no answer on the shipped data"


# ---------------------------------------------------------------------------
# Real external clients against the real endpoint
# ---------------------------------------------------------------------------


@pytest.mark.server
def test_sparqlwrapper_runs_each_file_as_is_against_the_server(server, store):
    from SPARQLWrapper import JSON, SPARQLWrapper

    for item in EXAMPLES:
        client = SPARQLWrapper(server + "sparql")
        client.setQuery(item.text)
        client.setReturnFormat(JSON)
        client.setTimeout(60)
        data = client.query().convert()
        expected = rows(store.query(item.text, use_default_graph_as_union=True))
        assert json_rows(data) == expected, item.name


def comunica() -> str | None:
    """Comunica's command-line client, if installed on this machine (never fetched)."""
    return os.environ.get("KGRAPH_COMUNICA") or shutil.which("comunica-sparql")


@pytest.mark.server
@pytest.mark.skipif(comunica() is None, reason="Comunica (comunica-sparql) is not installed "
                    "here; set KGRAPH_COMUNICA to its comunica-sparql to run this check")
def test_comunica_runs_each_file_as_is_against_the_server(server, store, tmp_path):
    for item in EXAMPLES:
        query = tmp_path / f"{item.name}.rq"
        query.write_text(item.text, encoding="utf-8")
        result = subprocess.run(
            [comunica(), f"sparql@{server}sparql", "-f", str(query), "-t",
             "application/sparql-results+json"],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (item.name, result.stderr[-2000:])
        data = json.loads(result.stdout)
        expected = rows(store.query(item.text, use_default_graph_as_union=True))
        assert len(data["results"]["bindings"]) == len(expected), item.name


# ---------------------------------------------------------------------------
# What people copy
# ---------------------------------------------------------------------------


def test_query_page_and_examples_json_show_the_files_as_they_are():
    from kgraph.config import Config
    from kgraph.web import create_app
    from kgraph.web.state import AppState

    config = Config(cache_dir=None)
    app = create_app(config, AppState.for_store(config, ox.Store()))
    client = app.test_client()
    listed = {e["name"]: e["query"] for e in client.get("/query/examples.json").get_json()}
    for item in EXAMPLES:
        assert listed[item.name] == item.text
        page = client.get("/query", query_string={"example": item.name}).get_data(as_text=True)
        for line in item.text.splitlines():
            if line.startswith("PREFIX "):
                assert html.escape(line, quote=False) in page or html.escape(line) in page, \
                    (item.name, line)
