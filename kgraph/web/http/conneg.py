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

from collections.abc import Mapping, Sequence

from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotAcceptable as _NotAcceptable

# Canonical media types.
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"
N_QUADS = "application/n-quads"
TRIG = "application/trig"
HTML = "text/html"
JSON = "application/json"
PLAIN = "text/plain"

#: Formats of SELECT and ASK results, in order of preference.
RESULT_TYPES: tuple[str, ...] = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
#: Formats of RDF graphs (CONSTRUCT, DESCRIBE, graph store, service description).
RDF_TYPES: tuple[str, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML)

#: Other names clients use for the canonical types.
ALIASES: dict[str, str] = {
    "application/json": SPARQL_JSON,
    "text/json": SPARQL_JSON,
    "application/xml": SPARQL_XML,
    "text/xml": SPARQL_XML,
    "application/x-turtle": TURTLE,
    "application/turtle": TURTLE,
    "text/n-triples": N_TRIPLES,
    "text/x-nquads": N_QUADS,
}
#: Aliases that mean the RDF format when the offers are RDF formats.
RDF_ALIASES: dict[str, str] = {
    "application/json": JSON_LD,
    "application/xml": RDF_XML,
    "text/xml": RDF_XML,
}

#: Short names for the ``format`` parameter; each lists candidates in order.
FORMAT_NAMES: dict[str, tuple[str, ...]] = {
    "json": (SPARQL_JSON, JSON_LD, JSON),
    "srj": (SPARQL_JSON,),
    "xml": (SPARQL_XML, RDF_XML),
    "srx": (SPARQL_XML,),
    "csv": (CSV,),
    "tsv": (TSV,),
    "turtle": (TURTLE,),
    "ttl": (TURTLE,),
    "ntriples": (N_TRIPLES,),
    "nt": (N_TRIPLES,),
    "n-triples": (N_TRIPLES,),
    "jsonld": (JSON_LD,),
    "json-ld": (JSON_LD,),
    "rdfxml": (RDF_XML,),
    "rdf": (RDF_XML,),
    "rdf+xml": (RDF_XML,),
    "nquads": (N_QUADS,),
    "trig": (TRIG,),
    "html": (HTML,),
    "text": (PLAIN,),
}


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


def negotiate(
    request: Request,
    offers: Sequence[str],
    format_param: str | None = "format",
    aliases: Mapping[str, str] | None = None,
) -> str:
    """The canonical media type to answer with, or :class:`NotAcceptable`.

    ``offers`` are canonical media types, most preferred first.  ``aliases`` maps
    other media types to one of the offers (default: :data:`ALIASES`, with
    :data:`RDF_ALIASES` winning when the offers are RDF formats).
    """
    aliases = dict(aliases) if aliases is not None else default_aliases(offers)
    if format_param:
        requested = request.args.get(format_param) or (
            request.form.get(format_param) if request.mimetype == FORM else None
        )
        if requested:
            return choose_format(requested, offers, aliases)
    return choose(request.accept_mimetypes, offers, aliases)


FORM = "application/x-www-form-urlencoded"


def default_aliases(offers: Sequence[str]) -> dict[str, str]:
    """Aliases that point at one of ``offers``."""
    table = dict(ALIASES)
    if any(o in RDF_TYPES for o in offers) and not any(o in RESULT_TYPES for o in offers):
        table.update(RDF_ALIASES)
    return {alias: target for alias, target in table.items() if target in offers}


def without_parameters(accept: MIMEAccept) -> MIMEAccept:
    """``Accept`` with media type parameters dropped.

    Every answer is UTF-8, so ``charset=utf-8`` (or none) matches; a range that asks
    for another charset is left out.  Werkzeug would otherwise not match
    ``text/turtle; charset=utf-8`` with the offer ``text/turtle``.
    """
    values = []
    for value, quality in accept:
        media_type, _, params = value.partition(";")
        charset = ""
        for param in params.split(";"):
            key, _, val = param.partition("=")
            if key.strip().lower() == "charset":
                charset = val.strip().strip('"').lower()
        if charset and charset not in ("utf-8", "utf8"):
            continue
        values.append((media_type.strip(), quality))
    return MIMEAccept(values)


def choose(accept: MIMEAccept, offers: Sequence[str], aliases: Mapping[str, str]) -> str:
    """Best offer for an ``Accept`` header (first offer when there is none)."""
    if not accept:
        return offers[0]
    candidates = list(offers) + [a for a in aliases if a not in offers]
    best = without_parameters(accept).best_match(candidates)
    if best is None:
        raise NotAcceptable(offers, accept.to_header() or "*/*")
    return aliases.get(best, best)


def choose_format(value: str, offers: Sequence[str], aliases: Mapping[str, str]) -> str:
    """The offer named by a ``format`` parameter (short name or media type)."""
    key = value.strip().lower()
    if "/" in key:
        media_type = key.split(";", 1)[0].strip()
        media_type = aliases.get(media_type, media_type)
        if media_type in offers:
            return media_type
    else:
        for candidate in FORMAT_NAMES.get(key, ()):
            candidate = aliases.get(candidate, candidate)
            if candidate in offers:
                return candidate
    raise NotAcceptable(offers, f"format={value}")
