"""Dereferencing instance IRIs: forms, headers, descriptions, 404s (Flask test client).

The app serves the ontology, ``data/dataset.ttl`` and a small fixture
(``tests/fixtures/linkeddata/mini.ttl``) so that every expectation can be read off
the fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pyoxigraph as ox
import pytest
import rdflib
from linkeddata_support import BASE, fixture_app
from rdflib.compare import isomorphic
from requests.utils import parse_header_links

from kgraph.config import PROJECT_ROOT
from kgraph.iris import ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI
from kgraph.web.pages.catalog import compute_stats
from kgraph.web.pages.describe import describe

ENTRY = "id/plan/kawasaki-2022/entry/055"
ACTIVITY = f"{ENTRY}/activity/1"
KGO = rdflib.Namespace("https://w3id.org/kgraph/ontology#")
RDFS = rdflib.RDFS
FORMATS = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
    "application/n-triples": ("nt", "nt"),
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def app():
    return fixture_app()


@pytest.fixture()
def client(app):
    return app.test_client()


def store_of(app) -> ox.Store:
    return app.extensions["kgraph"].reader()


def graph_of(response) -> rdflib.Graph:
    media_type = response.mimetype
    return rdflib.Graph().parse(data=response.data, format=FORMATS[media_type][1])


def expected_description(app, path: str) -> rdflib.Graph:
    """What the store says: own statements, incoming statements, labels of neighbours."""
    store = store_of(app)
    iri = ox.NamedNode(BASE + path)
    label = ox.NamedNode(str(RDFS.label))
    triples = {q.triple for q in store.quads_for_pattern(iri, None, None)}
    triples |= {q.triple for q in store.quads_for_pattern(None, None, iri)}
    neighbours = {t.object for t in triples if t.subject == iri and isinstance(t.object,
                                                                              ox.NamedNode)}
    neighbours |= {t.subject for t in triples if t.object == iri}
    for n in neighbours - {iri}:
        triples |= {q.triple for q in store.quads_for_pattern(n, label, None)}
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")


# ---------------------------------------------------------------------------
# Content negotiation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [BROWSER, "*/*", "text/html", None])
def test_browsers_and_unspecific_clients_get_html(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/{ENTRY}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.vary


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_programs_get_the_description_in_the_form_they_ask_for(app, client, media_type):
    response = client.get(f"/{ENTRY}", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.vary
    assert isomorphic(graph_of(response), expected_description(app, ENTRY))
    suffix = FORMATS[media_type][0]
    assert response.headers["Content-Location"] == f"/{ENTRY}.{suffix}"


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_suffix_and_format_parameter_select_the_form(app, client, media_type):
    suffix = FORMATS[media_type][0]
    by_suffix = client.get(f"/{ENTRY}.{suffix}", headers={"Accept": "text/html"})
    by_param = client.get(f"/{ENTRY}", query_string={"format": suffix},
                          headers={"Accept": "text/html"})
    for response in (by_suffix, by_param):
        assert response.status_code == 200
        assert response.mimetype == media_type
        assert isomorphic(graph_of(response), expected_description(app, ENTRY))


def test_html_suffix_and_format(client):
    assert client.get(f"/{ENTRY}.html", headers={"Accept": "text/turtle"}).mimetype == "text/html"
    response = client.get(f"/{ENTRY}", query_string={"format": "html"},
                          headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/html"


def test_link_header_names_every_form_and_the_canonical_iri(client):
    response = client.get(f"/{ENTRY}", headers={"Accept": "text/turtle"})
    links = response.headers["Link"]
    for media_type, (suffix, _) in FORMATS.items():
        assert f'</{ENTRY}.{suffix}>; rel="alternate"; type="{media_type}"' in links
    assert f'</{ENTRY}.html>; rel="alternate"; type="text/html"' in links
    assert f'<{BASE}{ENTRY}>; rel="canonical"' in links


def test_the_alternate_links_resolve(client):
    response = client.get(f"/{ENTRY}", headers={"Accept": "text/turtle"})
    alternates = [link for link in parse_header_links(response.headers["Link"])
                  if link["rel"] == "alternate"]
    assert len(alternates) == 5
    for link in alternates:
        answer = client.get(link["url"])
        assert answer.status_code == 200
        assert answer.mimetype == link["type"]


def test_unacceptable_accept_gets_406(client):
    response = client.get(f"/{ENTRY}", headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_unknown_format_parameter_is_a_client_error(client):
    response = client.get(f"/{ENTRY}", query_string={"format": "docx"})
    assert 400 <= response.status_code < 500


# ---------------------------------------------------------------------------
# 404
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/id/plan/kawasaki-2022/entry/999",
    "/id/nothing",
    f"/{ENTRY}.docx",
    "/id/plan/kawasaki-2022/entry/999/",  # a directory nothing lies under
    "/id/nothing/",
    "/id/%E3%81%82",
    "/id/plan/kawasaki-2022/entry/055.ttl.ttl",
])
def test_unknown_iris_get_a_404_page_for_people(client, path):
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<!DOCTYPE html>" in response.get_data(as_text=True)


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "text/plain"])
def test_unknown_iris_get_plain_text_for_programs(client, accept):
    response = client.get("/id/plan/kawasaki-2022/entry/999", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_unknown_non_resource_paths_get_the_404_page_too(client):
    response = client.get("/no/such/page", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# ---------------------------------------------------------------------------
# Descriptions
# ---------------------------------------------------------------------------


def test_description_has_own_incoming_and_neighbour_labels(app, client):
    graph = graph_of(client.get(f"/{ACTIVITY}", headers={"Accept": "text/turtle"}))
    activity = rdflib.URIRef(BASE + ACTIVITY)
    entry = rdflib.URIRef(BASE + ENTRY)
    sub = rdflib.URIRef(BASE + ACTIVITY + "/sub/1")
    assert (activity, RDFS.label, rdflib.Literal("Work under the Kawasaki Hydrogen Strategy",
                                                 lang="en")) in graph
    assert (entry, KGO.activity, activity) in graph  # points to it
    assert (entry, RDFS.label, rdflib.Literal("水素戦略・カーボンニュートラル産業推進事業",
                                              lang="ja")) in graph
    assert (sub, RDFS.label, rdflib.Literal("細目その一", lang="ja")) in graph
    # Nothing else about the neighbours (their own descriptions are one request away).
    assert (entry, KGO.overview, None) not in graph


def test_a_resource_known_only_as_an_object_is_described_by_what_points_to_it(app, client):
    response = client.get("/id/org/kawasaki-city/environment-bureau",
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = graph_of(response)
    assert (rdflib.URIRef(BASE + ENTRY), KGO.responsibleDepartment,
            rdflib.URIRef(BASE + "id/org/kawasaki-city/environment-bureau")) in graph


def test_descriptions_together_are_the_data_of_the_uri_space(app):
    """Every triple that touches the URI space is in some description, and no other."""
    store = store_of(app)
    space = BASE + "id/"
    stats = compute_stats(store, space)
    union: set[ox.Triple] = set()
    for iri in stats.resources:
        union |= set(describe(store, iri).triples)
    touching = {
        q.triple for q in store
        if q.subject.value.startswith(space) or (
            isinstance(q.object, ox.NamedNode) and q.object.value.startswith(space))
    }
    assert touching <= union
    assert union <= {q.triple for q in store}


def test_embedded_json_ld_is_the_description(app, client):
    html = client.get(f"/{ENTRY}", headers={"Accept": "text/html"}).get_data(as_text=True)
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">')
    data = html[start: html.index("</script>", start)]
    graph = rdflib.Graph().parse(data=json.dumps(json.loads(data)), format="json-ld")
    assert isomorphic(graph, expected_description(app, ENTRY))


# ---------------------------------------------------------------------------
# Base mapping
# ---------------------------------------------------------------------------


def test_the_base_is_mapped_onto_the_serving_host():
    base = "https://data.example.org/kgraph/"
    app = fixture_app(base)
    client = app.test_client()
    response = client.get(f"/{ENTRY}", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = graph_of(response)
    assert (rdflib.URIRef(base + ENTRY), RDFS.label, None) in graph
    html = client.get(f"/{ENTRY}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="/{ENTRY}/activity/1"' in html  # linked on this server, not the base host
    assert f'<link rel="canonical" href="{base}{ENTRY}">' in html


# ---------------------------------------------------------------------------
# Ontology and shapes
# ---------------------------------------------------------------------------


def test_every_ontology_term_has_a_documented_anchor_in_both_languages(client):
    ontology = rdflib.Graph().parse(Path(__file__).parents[1] / "ontology" / "kgo.ttl")
    terms = {str(s) for s in ontology.subjects() if str(s).startswith(str(KGO))}
    assert len(terms) > 50
    for lang in ("ja", "en"):
        response = client.get("/ontology", headers={"Accept": "text/html",
                                                     "Accept-Language": lang})
        document = html5lib.parse(response.data, namespaceHTMLElements=False)
        anchors = {e.get("id") for e in document.iter() if e.get("id")}
        assert {t[len(str(KGO)):] for t in terms} <= anchors
        plan_entry = next(e for e in document.iter() if e.get("id") == "PlanEntry")
        heading = "".join(ElementTree.tostring(plan_entry.find("h3"), method="text",
                                               encoding="unicode")).strip()
        assert heading == {"ja": "事業", "en": "plan entry"}[lang]


@pytest.mark.parametrize("path", ["/ontology.ttl", "/ontology?format=ttl", "/ontology/1.1.0"])
def test_the_ontology_as_rdf_is_the_served_ontology_graph(app, client, path):
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    store = store_of(app)
    graph = ox.NamedNode(BASE + "graph/ontology")
    expected = ox.serialize((q.triple for q in store.quads_for_pattern(None, None, None, graph)),
                            format=ox.RdfFormat.N_TRIPLES)
    assert isomorphic(graph_of(response), rdflib.Graph().parse(data=expected, format="nt"))
    assert '<https://w3id.org/kgraph/ontology>; rel="canonical"' in response.headers["Link"]


def test_the_served_version_path_is_the_ontologys_own_version_iri():
    ontology = rdflib.Graph().parse(PROJECT_ROOT / "ontology" / "kgo.ttl")
    version = ontology.value(rdflib.URIRef(ONTOLOGY_IRI), rdflib.OWL.versionIRI)
    assert version == rdflib.URIRef(ONTOLOGY_VERSION_IRI)
    assert ONTOLOGY_VERSION_IRI.endswith("/ontology/1.1.0")


def test_the_shapes_are_published_as_html_and_rdf(client):
    shapes = rdflib.Graph()
    for path in sorted((Path(__file__).parents[1] / "shapes").glob("*.ttl")):
        shapes.parse(path)
    response = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert isomorphic(graph_of(response), shapes)
    html = client.get("/shapes", headers={"Accept": "text/html"}).get_data(as_text=True)
    named = {str(s) for s in shapes.subjects(rdflib.RDF.type, rdflib.SH.NodeShape)
             if str(s).startswith("https://w3id.org/kgraph/shapes#")}
    for shape in named:
        assert f'id="{shape.rsplit("#", 1)[1]}"' in html


def test_terms_link_to_their_documentation(client):
    html = client.get(f"/{ENTRY}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/ontology#PlanEntry"' in html
    assert 'href="/ontology#overview"' in html


# ---------------------------------------------------------------------------
# Front door
# ---------------------------------------------------------------------------


def test_landing_page_links_everything(client):
    html = client.get("/", headers={"Accept": "text/html",
                                    "Accept-Language": "en"}).get_data(as_text=True)
    for href in ("/query", "/catalog", "/.well-known/void", "/dumps/kgraph.nq.gz",
                 "/dumps/kgraph.ttl.gz", "/ontology", "/shapes", "/validation",
                 "/sitemap.xml", "/id/plan/kawasaki-2022"):
        assert f'href="{href}"' in html, href
    assert "Triples" in html and "Resources" in html


def test_sitemap_lists_every_resource_page_and_robots_points_to_it(app, client):
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    locs = {e.text for e in ElementTree.fromstring(sitemap.data).iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    resources = compute_stats(store_of(app), BASE + "id/").resources
    # Absolute links come from the configured base, never from the request's Host.
    assert set(resources) <= locs
    assert BASE in locs
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {BASE}sitemap.xml" in robots
    assert "Disallow: /sparql" in robots


def test_the_prior_version_the_ontology_names_dereferences(client):
    """owl:priorVersion <…/ontology/1.0.1> answers that version as published (RDF only)."""
    ontology = rdflib.Graph().parse(PROJECT_ROOT / "ontology" / "kgo.ttl")
    prior = {str(o) for o in ontology.objects(None, rdflib.OWL.priorVersion)}
    assert prior
    for iri in prior:
        version = iri.rsplit("/", 1)[1]
        answer = client.get(f"/ontology/{version}", headers={"Accept": "text/turtle"})
        assert answer.status_code == 200 and answer.mimetype == "text/turtle"
        graph = rdflib.Graph().parse(data=answer.data, format="turtle")
        assert (None, rdflib.OWL.versionIRI, rdflib.URIRef(iri)) in graph
        assert "Accept" in answer.headers["Vary"]
        assert client.get(f"/ontology/{version}",
                          headers={"Accept": "application/n-triples"}).mimetype == \
            "application/n-triples"
    assert client.get("/ontology/0.0.9").status_code == 404
    assert client.get("/ontology/..%2fkgo").status_code == 404


def test_not_acceptable_varies_on_accept(client):
    answer = client.get("/ontology", headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "Accept" in answer.headers["Vary"]
