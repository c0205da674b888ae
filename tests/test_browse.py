"""Browsing without SPARQL, the query page at ``/sparql``, schema.org on the home page.

* The home page links the lists (``/id/org/``, ``/id/place/``, ``/id/instrument/``,
  ``/id/law/``, the plan's entries, every class); each list holds exactly the
  resources one path segment below it (or the instances of its class), labelled in
  the reader's language, and the same list as RDF is a ``hydra:Collection``.
* Paging: a list of 120 members read through ``hydra:first``/``next`` gives every
  member once, ``previous`` leads back; bad page numbers are 400 in Japanese and
  English, past the end 404; a directory nothing lies under is 404.
* ``/sparql`` in a browser is the query page; programs still get the Service
  Description.
* The schema.org ``Dataset`` on ``/`` parses as JSON-LD (pyld), names only
  schema.org terms and says what ``data/dataset.ttl`` says; the CSP stays strict.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import html5lib
import pyoxigraph as ox
import pytest
import rdflib
from linkeddata_support import fixture_sources
from pyld import jsonld

from kgraph.config import Config
from kgraph.dataset import parse_sources
from kgraph.web import create_app
from kgraph.web.pages.browse import PAGE_SIZE
from kgraph.web.state import AppState

BASE = "http://localhost:8000/"
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
RDF = rdflib.RDF
RDFS = rdflib.RDFS
NS = "{http://www.w3.org/1999/xhtml}"
FORMS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
         "application/rdf+xml": "xml", "application/n-triples": "nt"}
ENTRIES = "/id/plan/kawasaki-2022/entry/"


@pytest.fixture(scope="module")
def app():
    """The app on the shipped data."""
    return create_app(Config(base=BASE, cache_dir=Config.from_env().cache_dir))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def store(app) -> ox.Store:
    return app.extensions["kgraph"].reader()


def parse_html(data: bytes):
    return html5lib.HTMLParser(strict=True).parse(data)


def text(element) -> str:
    return "".join(element.itertext()).strip()


def rdf_of(response) -> rdflib.Graph:
    return rdflib.Graph().parse(data=response.data, format=FORMS[response.mimetype])


def under(store: ox.Store, folder: str) -> set[str]:
    """What a list of ``folder`` holds: the IRIs the data mentions one path segment
    below it, and the directories one segment below it that something lies under."""
    found = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(folder):
                rest = term.value[len(folder):]
                if rest:
                    head, slash, _ = rest.partition("/")
                    found.add(folder + head + slash)
    return found


def labels(store: ox.Store, iri: str, lang: str) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(str(RDFS.label)), None)
        if q.object.language == lang}


# ---------------------------------------------------------------------------
# The lists of the shipped data
# ---------------------------------------------------------------------------


HOME_LISTS = ["/id/org/", "/id/place/", "/id/instrument/", "/id/law/", ENTRIES, "/class/",
              "/graph/", "/id/"]


def test_the_home_page_links_the_lists(client):
    for lang in ("ja", "en"):
        response = client.get("/", headers={"Accept": "text/html", "Accept-Language": lang})
        hrefs = {a.get("href") for a in parse_html(response.data).iter(f"{NS}a")}
        assert set(HOME_LISTS) <= hrefs, set(HOME_LISTS) - hrefs
        assert response.headers["Vary"].startswith("Accept") or "Accept" in response.vary


@pytest.mark.parametrize("path", ["/id/org/", "/id/place/", "/id/instrument/", "/id/law/",
                                  ENTRIES])
def test_a_list_holds_what_lies_one_segment_below_labelled_in_the_readers_language(
        client, store, path):
    members = under(store, BASE + path.lstrip("/"))
    assert members
    for lang in ("ja", "en"):
        response = client.get(path, headers={"Accept": "text/html", "Accept-Language": lang})
        assert response.status_code == 200
        document = parse_html(response.data)
        assert document.get("lang") == lang
        rows = document.find(f".//{NS}tbody").findall(f"{NS}tr")
        shown = {}
        for row in rows:
            link = row.findall(f"{NS}td")[1].find(f"{NS}a")
            shown[BASE + link.get("href").lstrip("/")] = text(link)
        assert set(shown) == members
        for iri, label in shown.items():
            if labels(store, iri, lang):
                assert label in labels(store, iri, lang), (iri, label)


def test_the_plan_entries_are_listed_in_number_order(client):
    response = client.get(ENTRIES, headers={"Accept": "text/turtle"})
    graph = rdf_of(response)
    coll = rdflib.URIRef(BASE + ENTRIES.lstrip("/"))
    assert (coll, RDF.type, HYDRA.Collection) in graph
    total = int(graph.value(coll, HYDRA.totalItems))
    html = client.get(ENTRIES, headers={"Accept": "text/html"}).get_data(as_text=True)
    numbers = re.findall(r'href="/id/plan/kawasaki-2022/entry/(\d{3})"', html)
    entries = [m for m in graph.objects(coll, HYDRA.member) if not str(m).endswith("/")]
    assert len(numbers) == len(entries) == 27 and numbers == sorted(numbers)
    # The entries come first, then the sub-lists (each entry's activities).
    assert total == len(set(graph.objects(coll, HYDRA.member)))
    last_entry = html.index('href="/id/plan/kawasaki-2022/entry/075"')
    assert html.index('href="/id/plan/kawasaki-2022/entry/055/"') > last_entry


@pytest.mark.parametrize("media_type", list(FORMS))
def test_a_list_as_rdf_is_a_hydra_collection_in_every_form(client, store, media_type):
    response = client.get("/id/org/", headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.vary
    graph = rdf_of(response)
    coll = rdflib.URIRef(BASE + "id/org/")
    members = {str(m) for m in graph.objects(coll, HYDRA.member)}
    assert members == under(store, BASE + "id/org/")
    assert int(graph.value(coll, HYDRA.totalItems)) == len(members)
    view = graph.value(coll, HYDRA.view)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    assert graph.value(view, HYDRA.first) == graph.value(view, HYDRA.last)
    for member in members:  # the labels come along, in both languages
        langs = {lit.language for lit in graph.objects(rdflib.URIRef(member), RDFS.label)}
        assert {"ja", "en"} <= langs, member


def test_a_directory_lists_its_sub_lists(client):
    graph = rdf_of(client.get("/id/", headers={"Accept": "text/turtle"}))
    members = {str(m) for m in graph.objects(rdflib.URIRef(BASE + "id/"), HYDRA.member)}
    assert {BASE + "id/org/", BASE + "id/plan/", BASE + "id/law/"} <= members
    for member in members:
        assert (rdflib.URIRef(member), RDF.type, HYDRA.Collection) in graph
        assert client.get(urlsplit(member).path).status_code == 200


def test_every_class_has_a_list_of_its_instances(client, store, app):
    from kgraph.web.pages.catalog import dataset_stats

    with app.test_request_context():
        classes = dict(dataset_stats(app.extensions["kgraph"]).classes)
    index = rdf_of(client.get("/class/", headers={"Accept": "text/turtle"}))
    lists = set(index.objects(rdflib.URIRef(BASE + "class/"), HYDRA.member))
    assert len(lists) == len(classes)
    seen = set()
    for coll in lists:
        parts = urlsplit(str(coll))
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""),
                              headers={"Accept": "text/turtle"})
        assert response.status_code == 200, coll
        graph = rdf_of(response)
        assertion = graph.value(coll, HYDRA.memberAssertion)
        assert graph.value(assertion, HYDRA.property) == RDF.type
        cls = str(graph.value(assertion, HYDRA.object))
        seen.add(cls)
        assert int(graph.value(coll, HYDRA.totalItems)) == classes[cls]
    assert seen == set(classes)
    # A class no declared prefix covers is listed by its IRI.
    vcard = client.get("/class/?iri=http://www.w3.org/2006/vcard/ns%23Kind",
                       headers={"Accept": "text/html"})
    assert vcard.status_code == 200


def test_a_resource_page_links_the_list_it_is_in(client):
    html = client.get("/id/org/unep", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/id/org/"' in html


# ---------------------------------------------------------------------------
# Paging (a fixture of 120 organisations)
# ---------------------------------------------------------------------------


FIX = "http://kg.test/"
MANY = 120


@pytest.fixture(scope="module")
def paged():
    cfg = Config(base=FIX, cache_dir=None)
    store = ox.Store()
    store.bulk_extend(parse_sources(fixture_sources(FIX, "tiny.ttl"), FIX))
    graph = ox.NamedNode(FIX + "graph/organisations")
    label = ox.NamedNode(str(RDFS.label))
    for n in range(1, MANY + 1):
        org = ox.NamedNode(f"{FIX}id/org/o{n}")
        store.add(ox.Quad(org, ox.NamedNode(str(RDF.type)),
                          ox.NamedNode("http://www.w3.org/ns/org#Organization"), graph))
        store.add(ox.Quad(org, label, ox.Literal(f"組織{n}", language="ja"), graph))
        store.add(ox.Quad(org, label, ox.Literal(f"Organisation {n}", language="en"), graph))
    app = create_app(cfg, AppState.for_store(cfg, store))
    client = app.test_client()
    client.expected = under(store, FIX + "id/org/")  # the 120, and the data's publisher
    return client


def _get(client, iri: str, accept: str = "text/turtle"):
    parts = urlsplit(iri)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""),
                      headers={"Accept": accept})


def test_paging_round_trip_through_hydra_links(paged):
    coll = rdflib.URIRef(FIX + "id/org/")
    first = rdf_of(_get(paged, str(coll)))
    view = first.value(coll, HYDRA.view)
    pages, members, url = [], [], str(first.value(view, HYDRA.first))
    last = str(first.value(view, HYDRA.last))
    while url:
        graph = rdf_of(_get(paged, url))
        assert int(graph.value(coll, HYDRA.totalItems)) == len(paged.expected) > MANY
        view = graph.value(coll, HYDRA.view)
        assert str(view) == url
        page_members = sorted(str(m) for m in graph.objects(coll, HYDRA.member))
        assert len(page_members) <= PAGE_SIZE
        members += page_members
        pages.append(url)
        if pages[1:]:
            assert str(graph.value(view, HYDRA.previous)) == pages[-2]
        following = graph.value(view, HYDRA.next)
        url = str(following) if following is not None else ""
    assert pages[-1] == last
    assert len(pages) == -(-len(paged.expected) // PAGE_SIZE) > 1
    assert len(members) == len(set(members))
    assert set(members) == paged.expected
    # Natural order: o2 before o10.
    html = _get(paged, FIX + "id/org/", "text/html").get_data(as_text=True)
    assert html.index('href="/id/org/o2"') < html.index('href="/id/org/o10"')
    assert 'rel="next"' in html


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "", "01", "9" * 40])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_bad_page_numbers_are_400_in_the_readers_language(paged, value, lang):
    response = paged.get(f"/id/org/?page={value}",
                         headers={"Accept": "text/html", "Accept-Language": lang})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert ("ページ番号" in body) if lang == "ja" else ("page number (page=)" in body)
    assert len(body) < 400  # a long value is not repeated back whole


def test_a_repeated_page_number_is_400_and_past_the_end_404(paged):
    assert paged.get("/id/org/?page=1&page=2").status_code == 400
    past = paged.get("/id/org/?page=4", headers={"Accept-Language": "en"})
    assert past.status_code == 404
    assert "no page 4" in past.get_data(as_text=True)
    assert paged.get("/id/org/?page=3").status_code == 200


@pytest.mark.parametrize("path", ["/id/nothing/", "/id/org/o1/", "/class/kgo:Nothing",
                                  "/class/nope", "/class/?iri=http://example.org/X",
                                  "/class/unknown:Thing"])
def test_lists_with_no_members_are_404(paged, path):
    assert paged.get(path, headers={"Accept": "text/html"}).status_code == 404


# ---------------------------------------------------------------------------
# /sparql in a browser
# ---------------------------------------------------------------------------


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [BROWSER, "text/html"])
def test_a_browser_at_the_endpoint_gets_the_query_page(client, accept):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.vary
    assert parse_html(response.data).find(f".//{NS}textarea") is not None
    assert client.get("/sparql?format=html").mimetype == "text/html"


@pytest.mark.parametrize("accept", ["*/*", "text/turtle", "application/ld+json", None])
def test_programs_at_the_endpoint_still_get_the_service_description(client, accept):
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.mimetype in FORMS
    graph = rdf_of(response)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert any(graph.subjects(RDF.type, sd.Service))
    assert "Accept" in response.vary


# ---------------------------------------------------------------------------
# schema.org Dataset on the home page
# ---------------------------------------------------------------------------


SCHEMA = ("http://schema.org/", "https://schema.org/")


def _schema_context(url, options=None):  # pyld document loader: no network
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url,
            "document": {"@context": {"@vocab": "https://schema.org/",
                                      "url": {"@type": "@id"},
                                      "contentUrl": {"@type": "@id"},
                                      "sameAs": {"@type": "@id"},
                                      "isBasedOn": {"@type": "@id"}}}}


@pytest.fixture(scope="module")
def markup(client) -> tuple[dict, str, object]:
    response = client.get("/", headers={"Accept": "text/html", "Accept-Language": "en"})
    document = parse_html(response.data)
    scripts = [s for s in document.iter(f"{NS}script")]
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    return json.loads(scripts[0].text), response.headers["Content-Security-Policy"], response


def test_the_markup_parses_as_json_ld_and_names_only_schema_org_terms(markup):
    data, csp, _ = markup
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    expanded = jsonld.expand(data, {"documentLoader": _schema_context})
    quads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    assert quads
    graph = rdflib.Graph().parse(data=quads, format="nt")
    for _, p, o in graph:
        assert str(p).startswith(SCHEMA) or p == RDF.type, p
        if p == RDF.type:
            assert str(o).startswith(SCHEMA), o
    types = {str(o).rsplit("/", 1)[1] for o in graph.objects(None, RDF.type)}
    assert {"Dataset", "DataDownload", "DataCatalog", "Place", "Organization"} <= types


def test_the_markup_says_what_the_dataset_description_says(markup, store):
    data, _, _ = markup
    for field in ("name", "description", "url", "identifier", "keywords", "license",
                  "publisher", "temporalCoverage", "spatialCoverage", "distribution",
                  "includedInDataCatalog"):
        assert data.get(field), field
    ds = ox.NamedNode(data["@id"])

    def objects(subject, prop: str) -> list:
        return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(prop), None)]

    dct = "http://purl.org/dc/terms/"
    titles = {o.value for o in objects(ds, dct + "title") if o.language == "en"}
    assert data["name"] in titles
    assert data["description"] in {o.value for o in objects(ds, dct + "description")}
    keywords = {o.value for o in objects(ds, "http://www.w3.org/ns/dcat#keyword")}
    assert set(data["keywords"]) <= keywords
    assert data["license"]["@id"] == objects(ds, dct + "license")[0].value
    assert data["publisher"]["@id"] == objects(ds, dct + "publisher")[0].value
    assert data["spatialCoverage"]["@id"] == objects(ds, dct + "spatial")[0].value
    period = objects(ds, dct + "temporal")[0]
    dcat = "http://www.w3.org/ns/dcat#"
    start, end = objects(period, dcat + "startDate")[0], objects(period, dcat + "endDate")[0]
    assert data["temporalCoverage"] == f"{start.value}/{end.value}"
    assert data["includedInDataCatalog"]["url"] == BASE + "catalog"
    for download in data["distribution"]:
        assert download["encodingFormat"] and download["contentUrl"].startswith(BASE)
