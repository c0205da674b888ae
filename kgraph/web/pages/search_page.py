"""``/search?q=…``: keyword search over names and texts, as a page or as JSON.

The answer's form follows ``Accept`` (or ``format=json`` / ``format=html``); both
carry the same results, each linking to the resource's page.  The index
(:mod:`kgraph.search`) is built once per served snapshot and kept on the app.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Blueprint, Response, request

from ...iris import KGO
from ...search import MAX_QUERY_CHARS, RAW, TEXT, Hit, SearchIndex, terms_of
from ..http import conneg
from ..http.language import get_lang, t
from ..http.pages import html_page
from ..state import current_state
from .labels import Labeller
from .linkeddata import local_href

bp = Blueprint("search_page", __name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_SNIPPETS = 3
PARENTS = (ox.NamedNode(KGO + "activity"), ox.NamedNode(KGO + "subActivity"))


class BadSearch(ValueError):
    """A request the search cannot answer; the message is a UI-string key and values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def search_index() -> SearchIndex:
    """The served data's index (built on first use, rebuilt on a new version)."""
    state = current_state()
    return state.per_version("search-index", lambda: SearchIndex.build(state.reader()))


@bp.get("/search")
def search() -> Response:
    media = conneg.negotiate(request, [conneg.HTML, conneg.JSON])
    query = request.args.get("q", "")
    lang = get_lang()
    try:
        limit = _limit()
        if len(query) > MAX_QUERY_CHARS:
            raise BadSearch("search.too_long", n=MAX_QUERY_CHARS)
        if media == conneg.JSON and not terms_of(query):
            raise BadSearch("search.missing")
    except BadSearch as error:
        message = t(error.key, **error.values)
        if media == conneg.JSON:
            return _json({"error": message}, 400)
        return _page(query, [], 0, DEFAULT_LIMIT, lang, error=message, status=400)
    hits = search_index().search(query) if terms_of(query) else []
    if media == conneg.JSON:
        store = current_state().reader()
        labeller = Labeller(store)
        return _json({
            "query": query,
            "terms": terms_of(query),
            "total": len(hits),
            "limit": limit,
            "results": [_as_json(hit, labeller, store, lang) for hit in hits[:limit]],
        })
    return _page(query, hits[:limit], len(hits), limit, lang)


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise BadSearch("search.bad_limit", n=MAX_LIMIT) from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadSearch("search.bad_limit", n=MAX_LIMIT)
    return value


def _json(body: dict[str, object], status: int = 200) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), status=status,
                        mimetype="application/json")
    response.vary.update(("Accept", "Accept-Language", "Cookie"))  # labels follow the reader
    return response


def _page(query: str, hits: list[Hit], total: int, limit: int, lang: str,
          error: str | None = None, status: int = 200) -> Response:
    store = current_state().reader()
    labeller = Labeller(store)
    results = [_view(hit, labeller, store, lang) for hit in hits]
    response = html_page(
        "frontdoor/search.html", status=status, query=query, results=results, total=total,
        limit=limit, error=error,
    )
    response.vary.add("Accept")
    return response


def _parent(store: ox.Store, iri: str) -> str | None:
    """The entry an activity belongs to, or the activity a sub-activity belongs to."""
    node = ox.NamedNode(iri)
    for prop in PARENTS:
        for quad in store.quads_for_pattern(None, prop, node):
            if isinstance(quad.subject, ox.NamedNode):
                return quad.subject.value
    return None


def _where_key(kind: str) -> str:
    return "search.in_raw" if kind == RAW else "search.in_text" if kind == TEXT \
        else "search.in_name"


def _view(hit: Hit, labeller: Labeller, store: ox.Store, lang: str) -> dict[str, object]:
    iri = hit.doc.iri
    parent = _parent(store, iri)
    return {
        "iri": iri,
        "href": local_href(iri),
        "label": labeller.label(iri, lang),
        "types": [labeller.label(t_, lang) for t_ in hit.doc.types],
        "name_match": hit.name_match,
        "parent": {"href": local_href(parent), "label": labeller.label(parent, lang)}
        if parent else None,
        "matches": [
            {
                "where": t(_where_key(m.field.kind)),
                "property": labeller.label(m.field.prop, lang),
                "lang": m.field.lang,
                "segments": m.snippet(),
            }
            for m in hit.matches[:MAX_SNIPPETS]
        ],
    }


def _as_json(hit: Hit, labeller: Labeller, store: ox.Store, lang: str) -> dict[str, object]:
    iri = hit.doc.iri
    parent = _parent(store, iri)
    return {
        "iri": iri,
        "href": local_href(iri),
        "label": labeller.label(iri, lang),
        "types": [{"iri": t_, "label": labeller.label(t_, lang)} for t_ in hit.doc.types],
        "score": hit.score,
        "matchedIn": hit.matches[0].field.kind,
        "partOf": parent,
        "matches": [
            {
                "property": m.field.prop,
                "propertyLabel": labeller.label(m.field.prop, lang),
                "kind": m.field.kind,
                "lang": m.field.lang or None,
                "snippet": "".join(text for text, _ in m.snippet()),
                "highlighted": [text for text, marked in m.snippet() if marked],
            }
            for m in hit.matches[:MAX_SNIPPETS]
        ],
    }
