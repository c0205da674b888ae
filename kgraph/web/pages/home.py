"""The front door: the landing page ``/``, ``/sitemap.xml`` and ``/robots.txt``.

The landing page says what the dataset is, how big it is, where to start reading
and where everything else is (query page, catalogue, VoID, dumps, ontology, shapes,
validation report); it embeds a schema.org ``Dataset`` in JSON-LD for search engines.
The sitemap lists every resource page (every IRI of the URI space the data
mentions) and the main pages; ``robots.txt`` points to it.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import Blueprint, Response
from werkzeug.exceptions import NotFound

from ...iris import KGO
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import current_state
from .catalog import Addresses, _overview, dataset_iri, dataset_stats
from .dumps import DUMPS, data_version
from .labels import RDF_TYPE, Labeller
from .linkeddata import local_href

bp = Blueprint("home", __name__)

#: The sitemap protocol's limit of URLs per file.
SITEMAP_LIMIT = 50_000
#: Main pages listed in the sitemap besides the resource pages.
MAIN_PAGES = ("", "catalog", "ontology", "shapes", "query", "validation", "dumps/")
#: Classes whose instances the landing page lists as starting points, in this order.
START_CLASSES = (KGO + "ClimateActionPlan", KGO + "BasicDirection", KGO + "Policy")


@bp.get("/")
def index() -> Response:
    state = current_state()
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
    return html_page(
        "home.html",
        view=view,
        stats=stats,
        start=start,
        jsonld=_dataset_jsonld(state, view),
    )


def _natural_key(iri: str) -> tuple:
    """Sort ``.../policy/9`` before ``.../policy/10``."""
    head, _, tail = iri.rpartition("/")
    return (head, int(tail)) if tail.isdigit() else (head, 0, tail)


def _dataset_jsonld(state, view) -> str:
    """A schema.org Dataset for search engines, safe inside a script element."""
    where = Addresses(state.config.base)
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": dataset_iri(state),
        "name": view.title,
        "description": view.description,
        "url": where.home,
        "keywords": view.keywords,
        "isAccessibleForFree": True,
        "inLanguage": ["ja", "en"],
        "dateModified": data_version(state).modified.isoformat(),
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": d.media_type,
             "contentUrl": where.dump(d)}
            for d in DUMPS
        ],
    }
    if view.licence:
        data["license"] = _absolute(view.licence["href"])
    if view.publisher:
        data["publisher"] = {"@type": "Organization", "name": view.publisher[0]}
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
    """Every URL the sitemap lists: main pages, then every resource page."""
    root = current_state().config.base
    stats = dataset_stats(current_state())
    urls = [root + page for page in MAIN_PAGES]
    urls += [root + href.lstrip("/") for iri in stats.resources if (href := local_href(iri))]
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
