"""The front door: the landing page ``/``, ``/sitemap.xml`` and ``/robots.txt``.

The landing page says what the dataset is, how big it is, where to start reading
and where everything else is (the lists to browse, the named graphs, query page,
catalogue, VoID, dumps, ontology, shapes, validation report); it embeds a schema.org
``Dataset`` in JSON-LD for dataset search engines, made from the dataset's own
description (``data/dataset.ttl``).  ``/`` asked for RDF (``Accept: text/turtle``,
``?format=ttl`` …) answers the dataset's description instead: the VoID and DCAT of
``/.well-known/void`` and ``/catalog``, the named graphs as subsets and the lists.
The sitemap lists every resource page (every IRI of the URI space the data
mentions), the named graphs, the lists and the main pages; ``robots.txt`` points to it.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ...iris import GRAPH_ROOT, INSTANCE_ROOT, KGO, PREFIXES
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import AppState, current_state
from . import rdfmedia
from .browse import CLASS_ROOT, H, home_lists
from .catalog import (
    DCAT,
    DCT,
    Addresses,
    _overview,
    dataset_iri,
    dataset_stats,
    dcat_triples,
    void_triples,
)
from .dumps import DUMPS, data_version
from .graphs import area_words, graph_infos, subset_triples
from .labels import RDF_TYPE, Labeller, pick
from .linkeddata import local_href

bp = Blueprint("home", __name__)

#: The sitemap protocol's limit of URLs per file.
SITEMAP_LIMIT = 50_000
#: Main pages listed in the sitemap besides the resource pages.
MAIN_PAGES = ("", "catalog", "ontology", "shapes", "query", "validation", "dumps/",
              GRAPH_ROOT, CLASS_ROOT, INSTANCE_ROOT)
RDFS_SEE_ALSO = ox.NamedNode(PREFIXES["rdfs"] + "seeAlso")
#: Classes whose instances the landing page lists as starting points, in this order.
START_CLASSES = (KGO + "ClimateActionPlan", KGO + "BasicDirection", KGO + "Policy")


@bp.get("/")
def index() -> Response:
    state = current_state()
    media = rdfmedia.negotiate(html=True)
    if media != rdfmedia.HTML:
        response = rdfmedia.rdf_response(description_triples(state), media)
    else:
        response = _page(state)
    response.vary.add("Accept")
    root = request.script_root
    links = rdfmedia.alternate_links(lambda m: f"{root}/?format={m.suffix}",
                                     html_url=f"{root}/?format=html")
    links.append(f'<{state.config.base}>; rel="canonical"')
    response.headers["Link"] = ", ".join(links)
    return response


def _page(state: AppState) -> Response:
    store = state.reader()
    lang = get_lang()
    labeller = Labeller(store)
    view = _overview(state)
    stats = dataset_stats(state)
    resources = set(stats.resources)
    start = []
    for cls in START_CLASSES:
        members = [
            q.subject.value
            for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(cls))
            if isinstance(q.subject, ox.NamedNode) and q.subject.value in resources
        ]
        for iri in sorted(set(members), key=_natural_key):
            start.append({"href": local_href(iri), "label": labeller.label(iri, lang),
                          "kind": labeller.label(cls, lang)})
    root = request.script_root
    graphs = [{"href": f"{root}/{GRAPH_ROOT}{info.name}", "label": area_words(info, lang)[0],
               "triples": info.triples} for info in graph_infos(state).values()]
    return html_page(
        "home.html",
        view=view,
        stats=stats,
        start=start,
        lists=home_lists(lang),
        graphs=graphs,
        jsonld=_dataset_jsonld(state, view),
    )


def description_triples(state: AppState) -> list[ox.Triple]:
    """What ``/`` answers programs: the dataset's VoID and DCAT, its named graphs as
    subsets, the lists to browse it by (``hydra:collection``) and, for each vocabulary
    documented on this server, where (``rdfs:seeAlso``)."""
    base = state.config.base
    dataset = ox.NamedNode(dataset_iri(state))
    home = ox.NamedNode(base)
    out = [*void_triples(state), *dcat_triples(state), *subset_triples(state),
           ox.Triple(home, ox.NamedNode(PREFIXES["foaf"] + "primaryTopic"), dataset)]
    for path in (INSTANCE_ROOT, CLASS_ROOT):
        out += [ox.Triple(dataset, H("collection"), ox.NamedNode(base + path)),
                ox.Triple(ox.NamedNode(base + path), RDF_TYPE, H("Collection"))]
    root = request.script_root + "/"
    for vocabulary in dataset_stats(state).vocabularies:  # ours: documented here
        href = local_href(vocabulary)
        if href and href.startswith(root) and not href.startswith("//"):
            out.append(ox.Triple(ox.NamedNode(vocabulary), RDFS_SEE_ALSO,
                                 ox.NamedNode(base + href[len(root):])))
    return list(dict.fromkeys(out))


def _natural_key(iri: str) -> tuple:
    """Sort ``.../policy/9`` before ``.../policy/10``."""
    head, _, tail = iri.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (head, 0, tail)


def _dataset_jsonld(state: AppState, view) -> str:  # type: ignore[no-untyped-def]
    """A schema.org ``Dataset`` for dataset search engines, safe inside a script element.

    Every fact comes from the dataset's own description in the data (title,
    description, keywords, identifier, licence, publisher and creator, temporal and
    spatial coverage, issue date, what it derives from) or from the server (its
    addresses, the dumps, the modification date); a fact the data lacks is left out.
    """
    store = state.reader()
    lang = get_lang()
    labeller = Labeller(store)
    where = Addresses(state.config.base)
    dataset = dataset_iri(state)

    def objects(iri: str, prop: str) -> list[ox.Term]:
        return list(dict.fromkeys(
            q.object for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop),
                                                      None)))

    def iris(iri: str, prop: str) -> list[str]:
        return [o.value for o in objects(iri, prop) if isinstance(o, ox.NamedNode)]

    def literal(iri: str, prop: str) -> str | None:
        found = pick([o for o in objects(iri, prop) if isinstance(o, ox.Literal)], lang)
        return found.value if found is not None else None

    def agent(iri: str) -> dict:
        people = {PREFIXES["foaf"] + "Person", PREFIXES["schema"] + "Person"}
        kind = "Person" if people & set(iris(iri, RDF_TYPE.value)) else "Organization"
        node = {"@type": kind, "@id": iri, "name": labeller.label(iri, lang)}
        homepages = iris(iri, PREFIXES["foaf"] + "homepage")
        if homepages:
            node["url"] = homepages[0]
        return node

    catalog_title = next(
        (t.object.value for t in dcat_triples(state)
         if t.subject.value == where.catalog and t.predicate.value == DCT + "title"
         and isinstance(t.object, ox.Literal) and t.object.language == lang),
        view.title)
    data: dict = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": dataset,
        "name": view.title,
        "description": view.description,
        "url": where.home,
        "identifier": [o.value for o in objects(dataset, DCT + "identifier")] or [dataset],
        "keywords": view.keywords,
        "isAccessibleForFree": True,
        "inLanguage": sorted({t.language for t in objects(dataset, DCT + "title")
                              if isinstance(t, ox.Literal) and t.language}),
        "dateModified": data_version(state).modified.isoformat(),
        "distribution": [
            {"@type": "DataDownload", "name": f"{d.filename} ({d.label}, gzip)",
             "encodingFormat": d.media_type, "contentUrl": where.dump(d)}
            for d in DUMPS
        ],
        "includedInDataCatalog": {"@type": "DataCatalog", "@id": where.catalog,
                                  "url": where.catalog, "name": catalog_title},
    }
    issued = [o.value for o in objects(dataset, DCT + "issued")]
    if issued:
        data["datePublished"] = issued[0]
    for licence in iris(dataset, DCT + "license")[:1]:
        data["license"] = {"@type": "CreativeWork", "@id": licence, "url": licence,
                           "name": labeller.label(licence, lang)}
    publishers = iris(dataset, DCT + "publisher")
    if publishers:
        data["publisher"] = agent(publishers[0])
    creators = iris(dataset, DCT + "creator")
    if creators:
        data["creator"] = [agent(c) for c in creators]
    for period in iris(dataset, DCT + "temporal")[:1]:
        start = literal(period, DCAT + "startDate")
        end = literal(period, DCAT + "endDate")
        if start or end:
            data["temporalCoverage"] = f"{start or '..'}/{end or '..'}"
    for place in iris(dataset, DCT + "spatial")[:1]:
        node = {"@type": "Place", "@id": place, "name": labeller.label(place, lang)}
        same = iris(place, PREFIXES["owl"] + "sameAs")
        if same:
            node["sameAs"] = same
        data["spatialCoverage"] = node
    sources = iris(dataset, PREFIXES["prov"] + "wasDerivedFrom")
    if sources:
        data["isBasedOn"] = sources
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _absolute(href: str | None) -> str | None:
    """A page's own link made absolute from the configured base (never ``Host``)."""
    if href and href.startswith("/"):
        return current_state().config.base + href.lstrip("/")
    return href


# ---------------------------------------------------------------------------
# Sitemap and robots.txt
# ---------------------------------------------------------------------------


def _page_urls() -> list[str]:
    """Every URL the sitemap lists: main pages (with the lists' roots), every resource
    page, every named graph's page."""
    root = current_state().config.base
    stats = dataset_stats(current_state())
    urls = [root + page for page in MAIN_PAGES]
    urls += [root + href.lstrip("/") for iri in stats.resources if (href := local_href(iri))]
    urls += list(graph_infos(current_state()))
    return urls


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    urls = _page_urls()
    if len(urls) <= SITEMAP_LIMIT:
        return _xml(_urlset(urls))
    parts = (len(urls) + SITEMAP_LIMIT - 1) // SITEMAP_LIMIT
    body = "".join(
        f"<sitemap><loc>{escape(current_state().config.base)}sitemap-{n}.xml</loc></sitemap>\n"
        for n in range(1, parts + 1)
    )
    return _xml(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}</sitemapindex>\n"
    )


@bp.get("/sitemap-<int:part>.xml")
def sitemap_part(part: int) -> Response:
    urls = _page_urls()
    chunk = urls[(part - 1) * SITEMAP_LIMIT: part * SITEMAP_LIMIT]
    if part < 1 or not chunk:
        raise NotFound()
    return _xml(_urlset(chunk))


def _urlset(urls: list[str]) -> str:
    lastmod = data_version(current_state()).modified.date().isoformat()
    body = "".join(
        f"<url><loc>{escape(url)}</loc><lastmod>{lastmod}</lastmod></url>\n" for url in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{body}</urlset>\n"
    )


def _xml(text: str) -> Response:
    return Response(text, mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> Response:
    body = (
        "User-agent: *\n"
        "Disallow: /sparql\n"
        "Allow: /\n"
        f"Sitemap: {current_state().config.base}sitemap.xml\n"
    )
    return Response(body, mimetype="text/plain")
