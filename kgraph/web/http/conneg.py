"""Content negotiation: pick a media type from ``Accept`` or a ``format`` parameter.

Werkzeug parses ``Accept`` (q-values, wildcards, parameters); this module only adds
what every blueprint of the site needs on top of it:

* offers in the server's order of preference (the first wins a tie and answers a
  request with no ``Accept`` or ``*/*``);
* aliases: other media types that name the same format (``application/json`` for
  SPARQL JSON results, ``application/x-turtle`` for Turtle ...); the canonical type is
  what is returned and what the response's ``Content-Type`` should say;
* a ``format`` request parameter (``json``, ``turtle`` ... or a media type) that
  overrides ``Accept``, for browsers and scripts that cannot set headers;
* :class:`NotAcceptable` (406) that lists what could have been asked for.

Usage::

    media_type = negotiate(request, ["text/html", *RDF_TYPES])
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable as _NotAcceptable
from werkzeug.http import parse_accept_header

from ...formats import DATASET_FORMATS, GRAPH_FORMATS, RDF_FORMATS, RESULT_FORMATS, find, media_type

# Canonical media types: pyoxigraph's own for its formats (kgraph.formats).
SPARQL_JSON = media_type(ox.QueryResultsFormat.JSON)
SPARQL_XML = media_type(ox.QueryResultsFormat.XML)
CSV = media_type(ox.QueryResultsFormat.CSV)
TSV = media_type(ox.QueryResultsFormat.TSV)
TURTLE = media_type(ox.RdfFormat.TURTLE)
N_TRIPLES = media_type(ox.RdfFormat.N_TRIPLES)
JSON_LD = media_type(ox.RdfFormat.JSON_LD)
RDF_XML = media_type(ox.RdfFormat.RDF_XML)
N_QUADS = media_type(ox.RdfFormat.N_QUADS)
TRIG = media_type(ox.RdfFormat.TRIG)
HTML = "text/html"
JSON = "application/json"
PLAIN = "text/plain"

RESULT_TYPES: tuple[str, ...] = tuple(media_type(f) for f in RESULT_FORMATS)
RDF_TYPES: tuple[str, ...] = tuple(media_type(f) for f in GRAPH_FORMATS)
DATASET_TYPES: tuple[str, ...] = tuple(media_type(f) for f in DATASET_FORMATS)

#: Short names of the ``format`` parameter for what is not an RDF or results format.
OTHER_NAMES: dict[str, str] = {"json": JSON, "html": HTML, "text": PLAIN}


def canonical(asked: str, offers: Sequence[str]) -> str | None:
    """The offer that ``asked`` (a media type or a short name) names, by pyoxigraph's
    own tables of media types, aliases and extensions (:func:`kgraph.formats.find`);
    results before graphs when a name fits both (``application/json`` is SPARQL JSON
    at the endpoint, JSON-LD on a resource page)."""
    key = asked.split(";", 1)[0].strip().lower()
    if key in offers:
        return key
    results = [f for f in RESULT_FORMATS if media_type(f) in offers]
    graphs = [f for f in RDF_FORMATS if media_type(f) in offers]
    found = find(key, results) or find(key, graphs)
    if found is not None:
        return media_type(found)
    other = OTHER_NAMES.get(key)
    return other if other in offers else None


class NotAcceptable(_NotAcceptable):
    """406: nothing the client accepts (or names with ``format``) can be produced."""

    #: How much of what the client asked for is repeated back to it.
    ECHO_CHARS = 200

    def __init__(self, offers: Sequence[str], asked: str) -> None:
        self.offers = list(offers)
        if len(asked) > self.ECHO_CHARS:
            asked = asked[: self.ECHO_CHARS] + "..."
        self.asked = asked
        super().__init__(
            f"Cannot produce {asked}. Available: {', '.join(self.offers)} "
            f"(use Accept or format=...)."
        )

    def get_headers(self, environ=None, scope=None):  # type: ignore[no-untyped-def]
        """The answer depended on what the request accepted."""
        return [*super().get_headers(environ, scope), ("Vary", "Accept")]


def negotiate(
    request: Request,
    offers: Sequence[str],
    format_param: str | None = "format",
) -> str:
    """The canonical media type to answer with, or :class:`NotAcceptable`.

    ``offers`` are canonical media types, most preferred first; other names of the
    same formats (``application/x-turtle``, ``application/json``) are understood as
    pyoxigraph understands them (:func:`canonical`).
    """
    if format_param:
        requested = request.args.get(format_param) or (
            request.form.get(format_param) if request.mimetype == FORM else None
        )
        if requested:
            return choose_format(requested, offers)
    return choose_for_header(request.headers.get("Accept", ""), offers)


def choose_for_header(accept: str, offers: Sequence[str]) -> str:
    """:func:`choose` for an ``Accept`` header as sent, remembered per header and
    offers (clients send few distinct headers; that nothing is acceptable is
    remembered too: a query's answer is negotiated for both kinds of form)."""
    chosen, asked = _remembered_choice(accept, tuple(offers))
    if chosen is None:
        raise NotAcceptable(offers, asked)
    return chosen


@functools.lru_cache(maxsize=256)
def _remembered_choice(accept: str, offers: tuple[str, ...]) -> tuple[str | None, str]:
    """The offer chosen, or ``None`` and what was asked (as :class:`NotAcceptable`
    repeats it)."""
    try:
        return choose(parse_accept_header(accept, MIMEAccept), offers), ""
    except NotAcceptable as refusal:
        return None, refusal.asked


FORM = "application/x-www-form-urlencoded"


def without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """``Accept`` with media type parameters dropped.

    Every answer is UTF-8, so ``charset=utf-8`` (or none) matches; a range that asks
    for another charset is left out.  Werkzeug would otherwise not match
    ``text/turtle; charset=utf-8`` with the offer ``text/turtle``.
    """
    values = []
    for value, quality in accept:
        media, _, params = value.partition(";")
        charset = ""
        for param in params.split(";"):
            key, _, val = param.partition("=")
            if key.strip().lower() == "charset":
                charset = val.strip().strip('"').lower()
        if charset and charset not in ("utf-8", "utf8"):
            continue
        values.append((media.strip(), quality))
    return MIMEAccept(values)


def aliases_for(asked: Iterable[str], offers: Sequence[str]) -> dict[str, str]:
    """The asked media types that name one of ``offers`` by another name.  A value
    of ``Accept`` that is not a media type (``csv``: a ``format`` name) names
    nothing: Werkzeug would take it as an offer and fail on it (a 500 that a
    property test found)."""
    found = {}
    for value in asked:
        key = value.strip().lower()
        if "/" in key and key not in offers and "*" not in key:
            target = canonical(key, offers)
            if target is not None:
                found[key] = target
    return found


def choose(accept: MIMEAccept, offers: Sequence[str]) -> str:
    """Best offer for an ``Accept`` header (first offer when there is none)."""
    if not accept:
        return offers[0]
    plain = without_parameters(accept)
    aliases = aliases_for((value for value, _ in plain), offers)
    best = plain.best_match([*offers, *aliases])
    if best is None:
        raise NotAcceptable(offers, accept.to_header() or "*/*")
    return aliases.get(best.lower(), best)


def choose_format(value: str, offers: Sequence[str]) -> str:
    """The offer named by a ``format`` parameter (short name or media type)."""
    chosen = canonical(value, offers)
    if chosen is None:
        raise NotAcceptable(offers, f"format={value}")
    return chosen
