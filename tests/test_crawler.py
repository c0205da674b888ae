"""A Linked Data crawler rebuilds the whole dataset from the real server.

It starts at ``/``, follows links the way a harvester does (HTML links, the sitemap,
and every IRI in the RDF it receives, asking for RDF by content negotiation), honours
``robots.txt``, and never downloads a dump.  It then takes the union of the
descriptions it received for the resources of the dataset's URI space (``void:uriSpace``)
and for the vocabularies the dataset uses (``void:vocabulary``), and compares it with
the Turtle dump: the two graphs must be isomorphic.

The server runs with its default base (``http://localhost:8000/``) on another port,
so the crawler also checks that the base is mapped onto whatever host serves it: it
learns the base from the ``rel="canonical"`` link of what it fetches.

``/`` answers the crawler (which prefers Turtle) with the dataset's description, which
links the named graphs and the lists to browse by (``hydra:Collection``); the lists
are not data, so the reconstruction leaves them out.  Every IRI of our namespace in
the N-Quads dump (subjects, objects and graph names) must dereference: the crawler
reached it, or it answers 200 or 303 when asked.
"""

from __future__ import annotations

import gzip
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import RDF

pytestmark = pytest.mark.server

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
    "text/html;q=0.5, application/xml;q=0.4, */*;q=0.1"
)
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` and ``<link>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "link"):
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _canonical(response: requests.Response) -> str | None:
    link = response.links.get("canonical")
    return link["url"] if link else None


@dataclass
class Crawl:
    """What the crawler fetched."""

    root: str
    documents: dict[str, tuple[str | None, rdflib.Graph]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    base: str | None = None
    void: rdflib.Graph | None = None

    def local(self, iri: str) -> str | None:
        """Where an IRI is served: the configured base mapped onto the crawled host."""
        if self.base and iri.startswith(self.base):
            return self.root + iri[len(self.base):]
        if iri.startswith(self.root):
            return iri
        return None


def _normalise(url: str) -> str:
    """Drop fragments and the language switch (same resource, other language)."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def crawl(root: str) -> Crawl:
    result = Crawl(root)
    robots = RobotFileParser(root + "robots.txt")
    robots.read()
    session = requests.Session()
    queue: deque[str] = deque([root])
    seen: set[str] = {root}
    pending_iris: set[str] = set()
    for sitemap in robots.site_maps() or []:  # as harvesters do
        pending_iris.add(sitemap)

    def enqueue(url: str | None) -> None:
        if url is None:
            return
        url = _normalise(url)
        if not url.startswith(root) or url in seen:
            return
        seen.add(url)
        if not robots.can_fetch("*", url):
            result.skipped[url] = "robots.txt"
            return
        queue.append(url)

    while queue:
        url = queue.popleft()
        with session.get(url, headers={"Accept": ACCEPT}, stream=True, timeout=60) as response:
            result.statuses[url] = response.status_code
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            if response.status_code != 200 or media_type not in (
                *RDF_FORMATS, "text/html", "application/xml"
            ):
                result.skipped.setdefault(url, media_type or str(response.status_code))
                continue  # a dump, a missing page: not read
            body = response.content
            canonical = _canonical(response)
        if media_type in RDF_FORMATS:
            graph = rdflib.Graph().parse(data=body, format=RDF_FORMATS[media_type],
                                         publicID=url)
            result.documents[url] = (canonical, graph)
            if canonical and result.base is None:
                path = urlsplit(url).path.lstrip("/")
                if canonical.endswith(path) and not urlsplit(url).query:
                    result.base = canonical[: len(canonical) - len(path)]
                    for iri in pending_iris:
                        enqueue(result.local(iri))
            if (None, RDF.type, VOID.DatasetDescription) in graph:
                result.void = graph
            for term in set(graph.subjects()) | set(graph.objects()):
                if isinstance(term, rdflib.URIRef):
                    pending_iris.add(str(term))
                    enqueue(result.local(str(term)))
        elif media_type == "text/html":
            parser = _Links()
            parser.feed(body.decode("utf-8"))
            for href in parser.hrefs:
                enqueue(urljoin(url, href))
        else:  # a sitemap
            for loc in ElementTree.fromstring(body).iter(f"{SITEMAP_NS}loc"):
                enqueue(loc.text)
    return result


def is_list(canonical: str, graph: rdflib.Graph) -> bool:
    """Whether a document is a list to browse by (a page of a ``hydra:Collection``)."""
    node = rdflib.URIRef(canonical)
    return bool({HYDRA.Collection, HYDRA.PartialCollectionView}
                & set(graph.objects(node, RDF.type)))


def reconstruct(result: Crawl) -> rdflib.Graph:
    """The union of the descriptions of the dataset's resources and vocabularies."""
    assert result.void is not None, "the crawler never found a VoID description"
    spaces = [str(o) for o in result.void.objects(None, VOID.uriSpace)]
    vocabularies = {str(o) for o in result.void.objects(None, VOID.vocabulary)}
    assert spaces, "the VoID description gives no void:uriSpace"
    union = rdflib.Graph()
    for canonical, graph in result.documents.values():
        if canonical and (canonical.startswith(tuple(spaces)) or canonical in vocabularies) \
                and not is_list(canonical, graph):
            union += graph
    return union


@pytest.fixture(scope="module")
def crawled(server: str) -> Crawl:
    return crawl(server)


def _dump(server: str, crawled: Crawl) -> rdflib.Graph:
    dumps = [str(o) for o in crawled.void.objects(None, VOID.dataDump)]
    turtle = [d for d in dumps if d.endswith(".ttl.gz")]
    assert turtle, f"no Turtle dump among {dumps}"
    response = requests.get(crawled.local(turtle[0]), timeout=60)
    response.raise_for_status()
    return rdflib.Graph().parse(data=gzip.decompress(response.content), format="turtle")


def test_crawl_reconstructs_the_dump(server: str, crawled: Crawl) -> None:
    union = reconstruct(crawled)
    dump = _dump(server, crawled)
    if not isomorphic(union, dump):
        missing = to_isomorphic(dump) - to_isomorphic(union)
        extra = to_isomorphic(union) - to_isomorphic(dump)
        pytest.fail(
            f"crawled {len(union)} triples, dump has {len(dump)}; "
            f"missing {len(missing)}, e.g. {sorted(missing)[:5]}; "
            f"extra {len(extra)}, e.g. {sorted(extra)[:5]}"
        )


def test_crawler_found_every_resource_and_no_error(server: str, crawled: Crawl) -> None:
    space = next(str(o) for o in crawled.void.objects(None, VOID.uriSpace))
    resources = {c for c, g in crawled.documents.values()
                 if c and c.startswith(space) and not is_list(c, g)}
    entities = int(next(crawled.void.objects(None, VOID.entities)))
    assert len(resources) == entities
    assert crawled.base is not None and space.startswith(crawled.base)
    assert not [u for u, s in crawled.statuses.items() if s >= 500]
    # Every resource IRI resolves (no 404 inside the URI space).
    assert not [u for u, s in crawled.statuses.items()
                if s == 404 and urlsplit(u).path.startswith("/id/")]


def test_crawler_honoured_robots_and_did_not_read_dumps(crawled: Crawl) -> None:
    assert "robots.txt" in crawled.skipped.values()
    assert not any(urlsplit(u).path.startswith("/sparql") for u in crawled.statuses)
    dumps = [u for u in crawled.statuses if u.endswith(".gz")]
    assert dumps and all(crawled.skipped[u] == "application/gzip" for u in dumps)


def _nquads(crawled: Crawl) -> rdflib.Dataset:
    dumps = [str(o) for o in crawled.void.objects(None, VOID.dataDump)]
    nquads = [d for d in dumps if d.endswith(".nq.gz")]
    assert nquads, f"no N-Quads dump among {dumps}"
    response = requests.get(crawled.local(nquads[0]), timeout=60)
    response.raise_for_status()
    return rdflib.Dataset().parse(data=gzip.decompress(response.content), format="nquads")


def test_every_iri_of_our_namespace_in_the_dump_dereferences(crawled: Crawl) -> None:
    dataset = _nquads(crawled)
    ours: set[str] = set()
    for s, _, o, g in dataset.quads((None, None, None, None)):
        for term in (s, o, g):
            if isinstance(term, rdflib.URIRef) and str(term).startswith(crawled.base):
                ours.add(str(term))
    graphs = {str(g) for _, _, _, g in dataset.quads((None, None, None, None))}
    assert graphs and graphs <= ours, "every graph name is in our namespace"
    failures = {}
    for iri in sorted(ours):
        url = _normalise(crawled.local(iri))
        status = crawled.statuses.get(url)
        if status is None:  # not linked from anything the crawler read: ask for it
            status = requests.get(url, headers={"Accept": ACCEPT}, timeout=60,
                                  allow_redirects=False).status_code
        if status not in (200, 303):
            failures[iri] = status
    assert not failures, failures
    # The named graphs are reached by following links from / (not only when asked).
    assert all(crawled.statuses.get(crawled.local(g)) == 200 for g in graphs)
