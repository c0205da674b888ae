"""Named graphs answer, and so does ``/`` for programs (Flask test client, shipped data).

* Every graph name in the N-Quads dump answers at its own address: HTML in Japanese
  and English, and RDF (by ``Accept``, ``format`` or suffix) whose triple and class
  counts are those of the dump, with a download of the graph alone (Graph Store
  Protocol) that holds exactly the dump's quads of that graph.
* ``/graph/`` lists them all; a name that is not a graph is 404.
* ``/`` asked for RDF is the dataset's description: everything ``/.well-known/void``
  and ``/catalog`` say, plus the graphs as ``void:subset``s; browsers still get HTML.
"""

from __future__ import annotations

import gzip
from collections import Counter
from urllib.parse import urlsplit

import html5lib
import pytest
import rdflib
from rdflib.namespace import DCTERMS, RDF

from kgraph.config import Config
from kgraph.web import create_app

BASE = "http://localhost:8000/"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
NS = "{http://www.w3.org/1999/xhtml}"
FORMS = {"text/turtle": ("ttl", "turtle"), "application/ld+json": ("jsonld", "json-ld"),
         "application/rdf+xml": ("rdf", "xml"), "application/n-triples": ("nt", "nt")}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client():
    app = create_app(Config(base=BASE, cache_dir=Config.from_env().cache_dir))
    return app.test_client()


@pytest.fixture(scope="module")
def dump(client) -> rdflib.Dataset:
    response = client.get("/dumps/kgraph.nq.gz")
    assert response.status_code == 200
    return rdflib.Dataset().parse(data=gzip.decompress(response.data), format="nquads")


@pytest.fixture(scope="module")
def graph_names(dump) -> list[str]:
    names = sorted({str(g) for _, _, _, g in dump.quads((None, None, None, None))})
    assert len(names) >= 9 and all(n.startswith(BASE + "graph/") for n in names)
    return names


def rdf_of(response) -> rdflib.Graph:
    return rdflib.Graph().parse(data=response.data, format=FORMS[response.mimetype][1])


def path_of(iri: str) -> str:
    parts = urlsplit(iri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def in_graph(dump: rdflib.Dataset, name: str) -> rdflib.Graph:
    return dump.graph(rdflib.URIRef(name))


def test_every_graph_name_in_the_dump_answers(client, dump, graph_names):
    for name in graph_names:
        g = rdflib.URIRef(name)
        response = client.get(path_of(name), headers={"Accept": "text/turtle"})
        assert response.status_code == 200, name
        assert "Accept" in response.vary
        assert response.headers["Link"].endswith(f'<{name}>; rel="canonical"')
        graph = rdf_of(response)
        held = in_graph(dump, name)
        assert int(graph.value(g, VOID.triples)) == len(held)
        assert {VOID.Dataset, SD.Graph} <= set(graph.objects(g, RDF.type))
        named = graph.value(predicate=SD.name, object=g)
        assert graph.value(named, SD.graph) == g
        dataset = graph.value(g, DCTERMS.isPartOf)
        assert (dataset, VOID.subset, g) in graph
        assert {lit.language for lit in graph.objects(g, DCTERMS.title)} == {"ja", "en"}
        # The classes of its subjects, with counts, as the dump has them.
        classes = Counter(o for s, o in set(held.subject_objects(RDF.type))
                          if isinstance(o, rdflib.URIRef))
        partitions = {graph.value(p, VOID["class"]): int(graph.value(p, VOID.entities))
                      for p in graph.objects(g, VOID.classPartition)}
        assert partitions == dict(classes), name
        # The graph alone, through the Graph Store Protocol.
        download = graph.value(g, VOID.dataDump)
        alone = client.get(path_of(str(download)), headers={"Accept": "application/n-triples"})
        assert alone.status_code == 200
        assert len(rdflib.Graph().parse(data=alone.data, format="nt")) == len(held)


@pytest.mark.parametrize("media_type", list(FORMS))
def test_a_graph_page_in_every_form_by_accept_suffix_and_format(client, media_type):
    suffix, _ = FORMS[media_type]
    by_accept = client.get("/graph/entries", headers={"Accept": media_type})
    by_suffix = client.get(f"/graph/entries.{suffix}")
    by_format = client.get(f"/graph/entries?format={suffix}")
    for response in (by_accept, by_suffix, by_format):
        assert response.status_code == 200 and response.mimetype == media_type
    assert rdflib.compare.isomorphic(rdf_of(by_accept), rdf_of(by_suffix))
    assert rdflib.compare.isomorphic(rdf_of(by_accept), rdf_of(by_format))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_graph_page_for_people(client, lang):
    for path in ("/graph/plan", "/graph/plan.html"):
        response = client.get(path, headers={"Accept": BROWSER, "Accept-Language": lang})
        assert response.status_code == 200 and response.mimetype == "text/html"
        document = html5lib.HTMLParser(strict=True).parse(response.data)
        assert document.get("lang") == lang
        h1 = "".join(document.find(f".//{NS}h1").itertext())
        assert h1 == ("計画の構成" if lang == "ja" else "Plan structure")
        hrefs = {a.get("href") for a in document.iter(f"{NS}a")}
        assert "/dumps/kgraph.nq.gz" in hrefs
        assert any(h.startswith("/rdf-graph-store?graph=") for h in hrefs)
        assert "/class/kgo:Policy" in hrefs


@pytest.mark.parametrize("path", ["/graph/nope", "/graph/nope.ttl", "/graph/plan.docx",
                                  "/graph/plan/", "/graph/plan.ttl.ttl"])
def test_a_name_that_is_not_a_graph_is_404(client, path):
    assert client.get(path, headers={"Accept": BROWSER}).status_code == 404
    assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_the_graph_index_lists_every_graph(client, graph_names):
    html = client.get("/graph/", headers={"Accept": "text/html"}).get_data(as_text=True)
    for name in graph_names:
        assert f'href="{path_of(name)}"' in html
    graph = rdf_of(client.get("/graph/", headers={"Accept": "text/turtle"}))
    assert {str(o) for o in graph.objects(None, VOID.subset)} == set(graph_names)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    for loc in [*graph_names, BASE + "graph/", BASE + "class/", BASE + "id/"]:
        assert f"<loc>{loc}</loc>" in sitemap, loc


# ---------------------------------------------------------------------------
# / for programs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", list(FORMS))
def test_the_root_asked_for_rdf_describes_the_dataset(client, graph_names, media_type):
    response = client.get("/", headers={"Accept": media_type})
    assert response.status_code == 200 and response.mimetype == media_type
    assert "Accept" in response.vary
    graph = rdf_of(response)
    void = rdf_of(client.get("/.well-known/void", headers={"Accept": media_type}))
    dcat = rdf_of(client.get("/catalog", headers={"Accept": media_type}))
    for source in (void, dcat):  # everything they say (blank nodes aside) is here
        named = {t for t in source if not any(isinstance(x, rdflib.BNode) for x in t)}
        assert named <= set(graph)
    dataset = next(graph.subjects(RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))
    assert {str(o) for o in graph.objects(dataset, VOID.subset)} == set(graph_names)


@pytest.mark.parametrize("accept", [BROWSER, "*/*", None])
def test_the_root_for_browsers_is_still_the_home_page(client, accept):
    response = client.get("/", headers={"Accept": accept} if accept else {})
    assert response.mimetype == "text/html"
    assert "Accept" in response.vary
