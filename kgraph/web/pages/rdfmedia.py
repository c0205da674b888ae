"""The RDF forms a document is served in, and which one a request gets.

A resource, the ontology, the shapes and the dataset descriptions are all offered
as Turtle, JSON-LD, RDF/XML and N-Triples (plus HTML for people).  A request picks
a form by a file suffix (``.ttl``), else a ``format`` parameter (``?format=ttl``) or
its ``Accept`` header; :mod:`kgraph.web.http.conneg` does the negotiation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Response, request

from ...iris import PREFIXES
from ..http import conneg

HTML = conneg.HTML


@dataclass(frozen=True)
class RdfMedia:
    """One RDF serialisation: its file suffix, media type and pyoxigraph format."""

    suffix: str
    media_type: str
    format: ox.RdfFormat
    label: str


TURTLE = RdfMedia("ttl", conneg.TURTLE, ox.RdfFormat.TURTLE, "Turtle")
JSON_LD = RdfMedia("jsonld", conneg.JSON_LD, ox.RdfFormat.JSON_LD, "JSON-LD")
RDF_XML = RdfMedia("rdf", conneg.RDF_XML, ox.RdfFormat.RDF_XML, "RDF/XML")
N_TRIPLES = RdfMedia("nt", conneg.N_TRIPLES, ox.RdfFormat.N_TRIPLES, "N-Triples")

#: The forms every RDF document is offered in, Turtle first.
RDF_MEDIA: tuple[RdfMedia, ...] = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES)
_BY_TYPE: dict[str, RdfMedia] = {m.media_type: m for m in RDF_MEDIA}


def by_suffix(suffix: str) -> RdfMedia | None:
    """The form a file suffix (without the dot) names, if any."""
    for media in RDF_MEDIA:
        if media.suffix == suffix:
            return media
    return None


def negotiate(html: bool = True, prefer: RdfMedia | str | None = None) -> RdfMedia | str:
    """The form the request's ``format`` parameter or ``Accept`` header asks for.

    Returns :data:`HTML` or an :class:`RdfMedia`; raises ``conneg.NotAcceptable``
    (406).  A request with no ``Accept`` or ``*/*`` gets ``prefer`` (by default HTML
    when HTML is offered, else Turtle).
    """
    offers = ([HTML] if html else []) + [m.media_type for m in RDF_MEDIA]
    if prefer is not None:
        first = HTML if prefer == HTML else prefer.media_type
        offers.remove(first)
        offers.insert(0, first)
    chosen = conneg.negotiate(request, offers)
    return HTML if chosen == HTML else _BY_TYPE[chosen]


def serialize(triples: Iterable[ox.Triple], media: RdfMedia) -> bytes:
    """Triples in one RDF form, with the project's prefixes where the form has them.

    Triples are grouped by subject (in order of first appearance), so that Turtle and
    JSON-LD write each subject once.
    """
    groups: dict[ox.Term, list[ox.Triple]] = {}
    for triple in triples:
        groups.setdefault(triple.subject, []).append(triple)
    triples = [t for group in groups.values() for t in group]
    if media.format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=media.format, prefixes=PREFIXES)
    return ox.serialize(triples, format=media.format)


def rdf_response(triples: Iterable[ox.Triple], media: RdfMedia, status: int = 200) -> Response:
    """An RDF answer with the right media type and charset."""
    response = Response(serialize(triples, media), status=status)
    response.headers["Content-Type"] = f"{media.media_type}; charset=utf-8"
    response.vary.add("Accept")
    return response


def alternate_links(
    url_for_media: Callable[[RdfMedia], str], html_url: str | None = None
) -> list[str]:
    """``Link`` header values pointing to each form (``rel="alternate"``)."""
    links = [f'<{html_url}>; rel="alternate"; type="{HTML}"'] if html_url else []
    links += [
        f'<{url_for_media(m)}>; rel="alternate"; type="{m.media_type}"' for m in RDF_MEDIA
    ]
    return links
