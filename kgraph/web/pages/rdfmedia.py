"""The RDF forms a document is served in, and which one a request gets.

A resource, the ontology, the shapes and the dataset descriptions are all offered
as Turtle, JSON-LD, RDF/XML and N-Triples (plus HTML for people).  A request picks
a form by a file suffix (``.ttl``), else a ``format`` parameter (``?format=ttl``) or
its ``Accept`` header; :mod:`kgraph.web.http.conneg` does the negotiation.  Each
form's suffix, media type and name are pyoxigraph's own (:class:`pyoxigraph.RdfFormat`).

JSON-LD comes in the forms JSON-LD 1.1 names by the ``profile`` parameter of its
media type (:mod:`kgraph.web.pages.jsonld`): framed by default (compacted with the
published context, an entry's activities nested in order), ``…#compacted`` (or
``…#flattened``: one node per subject, nothing nested), ``…#expanded`` (no context).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import pyoxigraph as ox
from flask import Response, has_app_context, request
from werkzeug.http import parse_options_header

from ...formats import media_type
from ...iris import PREFIXES
from ..http import conneg
from . import jsonld

HTML = conneg.HTML


@dataclass(frozen=True)
class RdfMedia:
    """One RDF serialisation: its file suffix, media type and pyoxigraph format
    (and for JSON-LD, the form asked for by ``profile``; ``None``: the default)."""

    suffix: str
    media_type: str
    format: ox.RdfFormat
    label: str
    profile: str | None = None

    @classmethod
    def of(cls, format: ox.RdfFormat) -> RdfMedia:
        """The form of a pyoxigraph format, named as pyoxigraph names it."""
        return cls(format.file_extension, media_type(format), format, format.name)


TURTLE = RdfMedia.of(ox.RdfFormat.TURTLE)
JSON_LD = RdfMedia.of(ox.RdfFormat.JSON_LD)
RDF_XML = RdfMedia.of(ox.RdfFormat.RDF_XML)
N_TRIPLES = RdfMedia.of(ox.RdfFormat.N_TRIPLES)

#: The forms every RDF document is offered in, Turtle first.
RDF_MEDIA: tuple[RdfMedia, ...] = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES)
_BY_FORMAT: dict[ox.RdfFormat, RdfMedia] = {m.format: m for m in RDF_MEDIA}

#: The JSON-LD forms a ``profile`` may ask for (``#flattened``: the compacted form,
#: which is flat: one node object per subject, references by ``@id``).
PROFILES: dict[str, str] = {
    jsonld.EXPANDED: jsonld.EXPANDED,
    jsonld.COMPACTED: jsonld.COMPACTED,
    jsonld.FLATTENED: jsonld.COMPACTED,
    jsonld.FRAMED: jsonld.FRAMED,
}


def by_suffix(suffix: str) -> RdfMedia | None:
    """The form a file suffix (without the dot) names, if any.

    Only each format's own extension (pyoxigraph's ``file_extension``) names it, so
    that every form of a document has one URL (``.xml`` or ``.json`` do not).
    """
    media = _BY_FORMAT.get(ox.RdfFormat.from_extension(suffix))  # type: ignore[arg-type]
    return media if media is not None and media.suffix == suffix else None


def negotiate(html: bool = True, prefer: RdfMedia | str | None = None) -> RdfMedia | str:
    """The form the request's ``format`` parameter or ``Accept`` header asks for.

    Returns :data:`HTML` or an :class:`RdfMedia`; raises ``conneg.NotAcceptable``
    (406).  A request with no ``Accept`` or ``*/*`` gets ``prefer`` (by default HTML
    when HTML is offered, else Turtle).  JSON-LD carries the form the ``profile``
    parameter asks for.
    """
    offers = ([HTML] if html else []) + [m.media_type for m in RDF_MEDIA]
    if prefer is not None:
        first = HTML if prefer == HTML else prefer.media_type
        offers.remove(first)
        offers.insert(0, first)
    chosen = conneg.negotiate(request, offers)
    if chosen == HTML:
        return HTML
    media = _BY_FORMAT[ox.RdfFormat.from_media_type(chosen)]  # type: ignore[index]
    if media.format == ox.RdfFormat.JSON_LD:
        profile = asked_profile()
        if profile is not None:
            media = replace(media, profile=profile)
    return media


def asked_profile() -> str | None:
    """The JSON-LD form the request asks for by a ``profile`` parameter (in the
    ``format`` parameter, else the best ``application/ld+json`` range of ``Accept``)."""
    given = request.args.get("format")
    if given and "/" in given:
        return _known_profile(parse_options_header(given)[1].get("profile", ""))
    best: tuple[float, bool, str | None] | None = None
    for value, quality in request.accept_mimetypes:
        media_type, params = parse_options_header(value)
        if media_type.lower() != JSON_LD.media_type or quality <= 0:
            continue
        profile = _known_profile(params.get("profile", ""))
        candidate = (quality, profile is not None, profile)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else None


def _known_profile(value: str) -> str | None:
    """The first profile URI of a (space-separated) ``profile`` value that names a
    form; other URIs are hints that do not change the document (RFC 6906)."""
    for uri in value.split():
        if uri in PROFILES:
            return PROFILES[uri]
    return None


def serialize(triples: Iterable[ox.Triple], media: RdfMedia) -> bytes:
    """Triples in one RDF form, with the project's prefixes where the form has them.

    Triples are grouped by subject (in order of first appearance), so that Turtle and
    JSON-LD write each subject once.  JSON-LD is in the form ``media`` asks for
    (:func:`jsonld_document`).
    """
    triples = _by_subject(triples)
    if media.format == ox.RdfFormat.JSON_LD:
        return jsonld_document(triples, media)[0]
    if media.format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=media.format, prefixes=PREFIXES)
    return ox.serialize(triples, format=media.format)


def _by_subject(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    groups: dict[ox.Term, list[ox.Triple]] = {}
    for triple in triples:
        groups.setdefault(triple.subject, []).append(triple)
    return [t for group in groups.values() for t in group]


def jsonld_document(triples: list[ox.Triple], media: RdfMedia) -> tuple[bytes, str]:
    """The triples as JSON-LD in the form ``media`` asks for, and the profile of what
    was made.  Outside an app (no published context at hand) the form is expanded."""
    if media.profile == jsonld.EXPANDED or not has_app_context():
        return jsonld.document(triples, None)
    # Imported here: the context's page reads the ontology through ontology_docs,
    # which imports this module.
    from .jsonld_context import current_context, position_of

    return jsonld.document(triples, current_context(), media.profile, position_of)


def rdf_response(triples: Iterable[ox.Triple], media: RdfMedia, status: int = 200) -> Response:
    """An RDF answer with the right media type (for JSON-LD, with the ``profile`` of
    the form made) and charset."""
    content_type = media.media_type
    if media.format == ox.RdfFormat.JSON_LD:
        body, profile = jsonld_document(_by_subject(triples), media)
        content_type += f'; profile="{profile}"'
    else:
        body = serialize(triples, media)
    response = Response(body, status=status)
    response.headers["Content-Type"] = f"{content_type}; charset=utf-8"
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
