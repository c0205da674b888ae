"""JSON-LD: the published context, the three forms by ``profile``, framed entries, and
round trips through pyld (an independent processor) over every resource page.

The app serves the shipped data (parsed, not validated: that is the gate's tests'
business) through Flask's test client.  Every round trip is checked the same way:
pyld expands the served document with a loader that refuses every URL (so nothing
is fetched) and writes it as N-Quads; rdflib's graph of that is isomorphic to the
page's N-Triples.  rdflib's own JSON-LD parser reads the same documents offline.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld as pyld
from rdflib.compare import isomorphic

from kgraph.config import Config
from kgraph.dataset import parse_sources
from kgraph.iris import KGO, ONTOLOGY_VERSION, PREFIXES, graph_iri
from kgraph.sources import shipped_sources
from kgraph.web import create_app
from kgraph.web.pages import jsonld, rdfmedia
from kgraph.web.state import AppState

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

BASE = "http://kg.test/"
ENTRY = "id/plan/kawasaki-2022/entry/062"
NS = "http://www.w3.org/ns/json-ld#"
LD = "application/ld+json"


def accept(profile: str) -> dict[str, str]:
    return {"Accept": f'{LD};profile="{NS}{profile}"'}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.bulk_extend(parse_sources(shipped_sources(BASE), BASE))
    return store


@pytest.fixture(scope="module")
def app(store):
    config = Config(base=BASE, cache_dir=None)
    app = create_app(config, AppState.for_store(config, store))
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def refuse(url: str, options: object = None) -> dict:
    raise pyld.JsonLdError(f"no fetching {url}", "jsonld.LoadDocumentError",
                           code="loading document failed")


def pyld_graph(document: object) -> rdflib.Graph:
    """The document read by pyld, offline, as an rdflib graph."""
    nquads = pyld.to_rdf(document, {"format": "application/n-quads", "documentLoader": refuse})
    return rdflib.Graph().parse(data=nquads, format="nt")


def nt_graph(client, path: str) -> rdflib.Graph:
    response = client.get(path, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    return rdflib.Graph().parse(data=response.data, format="nt")


def instance_paths(store: ox.Store) -> list[str]:
    """Every resource page: each IRI under ``BASE/id/`` the data mentions."""
    found = set()
    for quad in store.quads_for_pattern(None, None, None):
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE + "id/"):
                found.add(term.value[len(BASE):])
    return sorted(found)


# ---------------------------------------------------------------------------
# The published context
# ---------------------------------------------------------------------------


def test_context_is_published_versioned_and_loadable_from_browsers(client):
    current = client.get("/ontology/context.jsonld")
    assert current.status_code == 302
    assert current.headers["Location"] == f"/ontology/context/{ONTOLOGY_VERSION}.jsonld"
    response = client.get(f"/ontology/context/{ONTOLOGY_VERSION}.jsonld")
    assert response.status_code == 200
    assert response.mimetype == LD
    assert f'profile="{NS}context"' in response.headers["Content-Type"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/ontology/context/0.9.jsonld").status_code == 404
    context = response.get_json()["@context"]
    # pyld accepts it as a context (an invalid one raises).
    doc = {"@id": BASE + ENTRY, "@type": KGO + "PlanEntry", KGO + "entryNumber": "062"}
    assert pyld.compact(doc, context, {"documentLoader": refuse})["@type"] == "PlanEntry"


def test_context_has_every_ontology_term_and_the_prefixes(store, client):
    context = client.get(f"/ontology/context/{ONTOLOGY_VERSION}.jsonld").get_json()["@context"]
    for prefix, namespace in PREFIXES.items():
        assert context[prefix] == namespace
    ontology = ox.NamedNode(graph_iri(BASE, "ontology"))
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    owl = PREFIXES["owl"]
    kinds = {"Class", "ObjectProperty", "DatatypeProperty"}
    declared = {q.subject.value: q.object.value[len(owl):]
                for q in store.quads_for_pattern(None, rdf_type, None, ontology)
                if q.subject.value.startswith(KGO) and q.object.value[len(owl):] in kinds}
    assert len(declared) > 80
    for iri, kind in declared.items():
        term = context[iri[len(KGO):]]
        target = term["@id"] if isinstance(term, dict) else term
        assert target == "kgo:" + iri[len(KGO):]
        if kind == "ObjectProperty":
            assert term["@type"] == "@id"
    assert context["activity"] == {"@id": "kgo:activity", "@type": "@id"}
    assert context["policyNumber"] == {"@id": "kgo:policyNumber", "@type": "xsd:integer"}
    assert context["entryNumber"] == "kgo:entryNumber"  # xsd:string: a plain JSON string
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    assert context["overview"] == {"@id": "kgo:overview", "@container": "@language"}


def test_context_is_made_once_per_data_version(app, monkeypatch):
    calls = []
    original = jsonld.Context.make

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(jsonld.Context, "make", counting)
    app.extensions["kgraph"]._values.pop("version:jsonld-context", None)
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/{ENTRY}", headers={"Accept": LD}).status_code == 200
    assert len(calls) == 1


def test_the_loader_serves_our_context_only():
    context = jsonld.Context.make([], BASE)
    load = context.loader()
    assert load(context.url)["document"] == context.document
    for url in ("https://schema.org/", "http://127.0.0.1:1/ctx.jsonld", "file:///etc/passwd"):
        with pytest.raises(pyld.JsonLdError):
            load(url)
    remote = {"@context": "https://schema.org/", "@id": "http://x/a", "name": "a"}
    with pytest.raises(pyld.JsonLdError):
        pyld.expand(remote, {"documentLoader": load})


# ---------------------------------------------------------------------------
# Forms by profile
# ---------------------------------------------------------------------------


def test_default_is_framed_with_an_inline_context_cut_from_the_published_one(client):
    response = client.get(f"/{ENTRY}", headers={"Accept": LD})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        f'{LD}; profile="{NS}framed"; charset=utf-8')
    data = response.get_json()
    published = client.get(f"/ontology/context/{ONTOLOGY_VERSION}.jsonld").get_json()
    for term, definition in data["@context"].items():
        assert published["@context"][term] == definition
    assert set(PREFIXES) <= set(data["@context"])
    assert "subActivity" not in data["@context"]  # cut to what this document uses


@pytest.mark.parametrize("form", ["expanded", "compacted", "flattened", "framed"])
def test_each_profile_gives_its_form_and_the_same_triples(client, form):
    response = client.get(f"/{ENTRY}", headers=accept(form))
    assert response.status_code == 200
    made = "compacted" if form == "flattened" else form
    assert f'profile="{NS}{made}"' in response.headers["Content-Type"]
    data = response.get_json()
    if form == "expanded":
        assert isinstance(data, list) and all("@context" not in node for node in data)
    else:
        nested = any(isinstance(value, list) and any(isinstance(v, dict) and "label" in v
                                                      for v in value)
                     for node in data["@graph"] for value in node.values())
        assert nested == (form == "framed")
    assert isomorphic(pyld_graph(data), nt_graph(client, f"/{ENTRY}"))


def test_profile_by_quality_and_by_format_parameter(client):
    both = {"Accept": f'{LD};profile="{NS}expanded";q=0.5, {LD};profile="{NS}compacted"'}
    assert f"{NS}compacted" in client.get(f"/{ENTRY}", headers=both).headers["Content-Type"]
    lower = {"Accept": f'text/turtle;q=0.9, {LD};profile="{NS}expanded";q=0.5'}
    assert client.get(f"/{ENTRY}", headers=lower).mimetype == "text/turtle"
    unknown = {"Accept": f'{LD};profile="http://example.org/mine"'}
    assert f"{NS}framed" in client.get(f"/{ENTRY}", headers=unknown).headers["Content-Type"]
    listed = {"Accept": f'{LD};profile="http://example.org/mine {NS}expanded"'}
    assert f"{NS}expanded" in client.get(f"/{ENTRY}", headers=listed).headers["Content-Type"]
    by_param = client.get(f"/{ENTRY}", query_string={
        "format": f'{LD};profile="{NS}expanded"'}, headers={"Accept": "text/html"})
    assert by_param.status_code == 200
    assert isinstance(by_param.get_json(), list)
    suffix = client.get(f"/{ENTRY}.jsonld", headers=accept("expanded"))
    assert suffix.mimetype == LD


# ---------------------------------------------------------------------------
# Framed entries
# ---------------------------------------------------------------------------


def test_an_entry_nests_its_activities_in_schema_position_order(store, client):
    data = client.get(f"/{ENTRY}", headers={"Accept": LD}).get_json()
    entry = data["@graph"][0]
    assert entry["@id"] == BASE + ENTRY and entry["@type"] == "PlanEntry"
    position = ox.NamedNode(PREFIXES["schema"] + "position")
    expected = sorted(
        (int(next(store.quads_for_pattern(q.object, position, None)).object.value),
         q.object.value)
        for q in store.quads_for_pattern(ox.NamedNode(BASE + ENTRY),
                                         ox.NamedNode(KGO + "activity"), None))
    assert len(expected) >= 2
    assert [a["@id"] for a in entry["activity"]] == [iri for _, iri in expected]
    assert all(a["label"]["ja"] and a["label"]["en"] for a in entry["activity"])
    top = {node["@id"] for node in data["@graph"]}
    assert not top & {iri for _, iri in expected}  # embedded, not repeated


def test_framing_agrees_with_pyld_framing(client):
    """pyld's own framing algorithm embeds the same activities under the entry."""
    data = client.get(f"/{ENTRY}", headers={"Accept": LD}).get_json()
    frame = {"@context": data["@context"], "@id": BASE + ENTRY,
             "activity": {"@embed": "@always"}}
    theirs = pyld.frame(data, frame, {"documentLoader": refuse})
    ours = data["@graph"][0]["activity"]
    assert sorted(a["@id"] for a in theirs["activity"]) == sorted(a["@id"] for a in ours)
    for mine in ours:
        other = next(a for a in theirs["activity"] if a["@id"] == mine["@id"])
        assert other["label"] == mine["label"]


def test_an_activity_page_nests_its_sub_activities(client, store):
    activity = ox.NamedNode(KGO + "subActivity")
    parent = next(q.subject.value for q in store.quads_for_pattern(None, activity, None))
    data = client.get("/" + parent[len(BASE):], headers={"Accept": LD}).get_json()
    node = data["@graph"][0]
    assert node["@id"] == parent
    subs = node["subActivity"] if isinstance(node["subActivity"], list) \
        else [node["subActivity"]]
    assert all(isinstance(s, dict) and "label" in s for s in subs)


# ---------------------------------------------------------------------------
# Round trips over every resource page
# ---------------------------------------------------------------------------


def test_every_resource_page_round_trips_through_pyld_and_rdflib(store, client):
    """expand(compact(x)) is isomorphic to x for the default (framed) form of every
    page; the compacted form of every entry too; rdflib reads each offline."""
    paths = instance_paths(store)
    assert len(paths) > 200
    wrong = []
    for path in paths:
        expected = nt_graph(client, f"/{path}")
        forms = [{"Accept": LD}]
        if "/entry/" in path:
            forms.append(accept("compacted"))
        for headers in forms:
            response = client.get(f"/{path}", headers=headers)
            data = json.loads(response.data)
            if not isomorphic(pyld_graph(data), expected):
                wrong.append((path, headers["Accept"], "pyld"))
            parsed = rdflib.Graph().parse(data=response.data, format="json-ld")
            if not isomorphic(parsed, expected):
                wrong.append((path, headers["Accept"], "rdflib"))
    assert wrong == []


@pytest.mark.parametrize("path", ["/ontology", "/catalog", "/.well-known/void"])
def test_documents_round_trip(client, path):
    expected = rdflib.Graph().parse(
        data=client.get(path, headers={"Accept": "application/n-triples"}).data, format="nt")
    for headers in ({"Accept": LD}, accept("compacted"), accept("expanded")):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, headers)
        assert isomorphic(pyld_graph(response.get_json()), expected), (path, headers)


# ---------------------------------------------------------------------------
# Formats from pyoxigraph's enums
# ---------------------------------------------------------------------------


def test_forms_are_pyoxigraphs():
    for media in rdfmedia.RDF_MEDIA:
        assert media.suffix == media.format.file_extension
        assert media.media_type == media.format.media_type
        assert media.label == media.format.name
        assert rdfmedia.by_suffix(media.suffix) == media
    assert [m.label for m in rdfmedia.RDF_MEDIA] == ["Turtle", "JSON-LD", "RDF/XML",
                                                     "N-Triples"]
    for other in ("xml", "json", "txt", "html", "TTL", ""):
        assert rdfmedia.by_suffix(other) is None


def test_serialize_outside_an_app_is_expanded_json_ld():
    triple = ox.Triple(ox.NamedNode(BASE + ENTRY), ox.NamedNode(KGO + "entryNumber"),
                       ox.Literal("062"))
    data = json.loads(rdfmedia.serialize([triple], rdfmedia.JSON_LD))
    assert data == [{"@id": BASE + ENTRY, KGO + "entryNumber": [{"@value": "062"}]}]
