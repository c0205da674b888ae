"""Dereferencing instance IRIs: ``/id/...`` answers with HTML or RDF.

The configured base is mapped onto whatever host serves the request: the request
path ``P`` names the IRI ``base + P``.  ``Accept`` decides the form (HTML for
browsers; Turtle, JSON-LD, RDF/XML or N-Triples for programs), as do a ``format``
parameter and a file suffix (``/id/plan/kawasaki-2022.ttl``).  Every answer says
``Vary: Accept`` and links each other form with ``rel="alternate"``.  An IRI the
data does not mention gets a 404 page (HTML or plain text, by ``Accept``); a path
ending in ``/`` that names no resource is a list of what lies below it
(:mod:`kgraph.web.pages.browse`).
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException, NotFound

from ...iris import INSTANCE_ROOT, KGO, KGS, ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI, SHAPES_IRI
from ..http.language import get_lang
from ..http.pages import html_page
from ..state import current_state
from . import rdfmedia
from .describe import build_view, describe, exists
from .labels import Labeller

bp = Blueprint("linkeddata", __name__)


def local_href(iri: str) -> str | None:
    """Where a page links an IRI: ours on this server, others as they are.

    Only ``http(s)`` IRIs are linked, so that data cannot smuggle in a
    ``javascript:`` link.
    """
    base = current_state().config.base
    root = request.script_root
    if iri.startswith(base):
        return f"{root}/{iri[len(base):]}"
    if iri.startswith(KGO):
        return f"{root}/ontology#{iri[len(KGO):]}"
    if iri in (ONTOLOGY_IRI, ONTOLOGY_VERSION_IRI):
        return f"{root}/ontology"
    if iri.startswith(KGS):
        return f"{root}/shapes#{iri[len(KGS):]}"
    if iri == SHAPES_IRI:
        return f"{root}/shapes"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def _resolve(store: ox.Store, base: str, rest: str) -> tuple[str, str, str | None] | None:
    """(IRI, local path, suffix) for a request path under ``/id/``, or ``None``."""
    for candidate in _spellings(rest):
        if exists(store, base + candidate):
            return base + candidate, candidate, None
    stem, dot, suffix = rest.rpartition(".")
    if dot and (suffix == "html" or rdfmedia.by_suffix(suffix)):
        for candidate in _spellings(stem):
            if exists(store, base + candidate):
                return base + candidate, candidate, suffix
    return None


def _spellings(path: str) -> list[str]:
    """The path as Werkzeug decoded it, and percent-encoded again (IRIs may use either)."""
    return list(dict.fromkeys((path, quote(path, safe="/:@!$&'()*+,;=~"))))


@bp.get(f"/{INSTANCE_ROOT}<path:rest>")
def resource(rest: str) -> Response:
    state = current_state()
    store = state.reader()
    resolved = _resolve(store, state.config.base + INSTANCE_ROOT, rest)
    if resolved is None:
        if rest.endswith("/"):  # a directory of the URI space: the list of what is in it
            from .browse import directory

            return directory(rest)
        raise NotFound()
    iri, path, suffix = resolved
    page = f"{request.script_root}/{INSTANCE_ROOT}{path}"
    if suffix == "html":
        media: rdfmedia.RdfMedia | str = rdfmedia.HTML
    elif suffix:
        media = rdfmedia.by_suffix(suffix)
    else:
        media = rdfmedia.negotiate(html=True)

    desc = describe(store, iri)
    if desc is None:  # pragma: no cover - _resolve found it in the same store
        raise NotFound()
    if media == rdfmedia.HTML:
        from .browse import list_of

        labeller = Labeller(store)
        view = build_view(store, desc, get_lang(), local_href, labeller)
        response = html_page(
            "resource.html",
            view=view,
            canonical=iri,
            listed_in=list_of(iri),
            formats=[
                {"label": m.label, "media_type": m.media_type, "href": f"{page}.{m.suffix}"}
                for m in rdfmedia.RDF_MEDIA
            ],
        )
    else:
        response = rdfmedia.rdf_response(desc.triples, media)
    response.vary.add("Accept")
    links = rdfmedia.alternate_links(lambda m: f"{page}.{m.suffix}", html_url=f"{page}.html")
    links.append(f'<{iri}>; rel="canonical"')
    response.headers["Link"] = ", ".join(links)
    if not suffix:
        ext = "html" if media == rdfmedia.HTML else media.suffix
        response.headers["Content-Location"] = f"{page}.{ext}"
    return response


@bp.app_errorhandler(404)
def not_found(error: HTTPException) -> Response:
    """A 404 page for people; programs get the site's plain-text error answer."""
    try:
        wants_html = rdfmedia.negotiate(html=True) == rdfmedia.HTML
    except HTTPException:
        wants_html = False
    if wants_html and not hasattr(error, "message"):
        response = html_page("404.html", status=404, path=request.path)
    else:
        response = _plain_error(error)
    response.vary.add("Accept")
    return response


def _plain_error(error: HTTPException) -> Response:
    from ..http.errors import handle_http_error

    return handle_http_error(error)
