"""The RDF and SPARQL result formats kgraph reads and writes: pyoxigraph's own.

pyoxigraph's :class:`~pyoxigraph.RdfFormat` and :class:`~pyoxigraph.QueryResultsFormat`
carry each format's media type, file extension, name and IRI, and know the other
names clients use (``application/x-turtle``, ``text/xml``); this module only says
which of them kgraph offers, in which order, and adds the few short names people
type that pyoxigraph does not know (``ntriples``, ``owl``).

>>> media_type(ox.QueryResultsFormat.CSV)
'text/csv'
>>> find("ttl", GRAPH_FORMATS).media_type
'text/turtle'
>>> find("application/json", RESULT_FORMATS) == ox.QueryResultsFormat.JSON
True
>>> find(".owl", GRAPH_FORMATS) == ox.RdfFormat.RDF_XML
True
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

Format = ox.RdfFormat | ox.QueryResultsFormat

#: SELECT and ASK results, in order of preference.
RESULT_FORMATS: tuple[ox.QueryResultsFormat, ...] = (
    ox.QueryResultsFormat.JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.CSV,
    ox.QueryResultsFormat.TSV)
#: Graphs (CONSTRUCT and DESCRIBE results, pages, the graph store), in order of preference.
GRAPH_FORMATS: tuple[ox.RdfFormat, ...] = (
    ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML)
#: Datasets (the dumps, uploads with several graphs).
DATASET_FORMATS: tuple[ox.RdfFormat, ...] = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)
#: Every RDF format kgraph reads.
RDF_FORMATS: tuple[ox.RdfFormat, ...] = (*GRAPH_FORMATS, *DATASET_FORMATS)

#: Names people use that pyoxigraph does not know, and the name it knows.
OTHER_NAMES: dict[str, str] = {
    "owl": "rdf",
    "turtle": "ttl",
    "ntriples": "nt",
    "rdfxml": "rdf",
    "rdf+xml": "rdf",
    "nquads": "nq",
}


def media_type(format: Format) -> str:
    """A format's media type without parameters (every answer is UTF-8)."""
    return format.media_type.split(";", 1)[0].strip()


#: The W3C's "Unique URIs for File Formats" namespace.
W3C_FORMATS = "http://www.w3.org/ns/formats/"


def format_iri(format: Format) -> str:
    """The format's IRI in the W3C's registry (``sd:resultFormat``).  pyoxigraph names
    JSON-LD ``https://www.w3.org/ns/formats/data/JSON-LD``, which the registry does not
    list; its entry is ``formats:JSON-LD``.

    >>> format_iri(ox.RdfFormat.JSON_LD)
    'http://www.w3.org/ns/formats/JSON-LD'
    """
    if format.iri.startswith(W3C_FORMATS):
        return format.iri
    return W3C_FORMATS + format.iri.rsplit("/", 1)[-1]


def find(name: str, among: Sequence[Format]) -> Format | None:
    """The format of ``among`` that ``name`` names: a media type (or another name of
    one), a file extension (with or without its dot), or a format's name."""
    key = name.split(";", 1)[0].strip().lower()
    if "/" in key and not key.startswith("rdf/"):
        for format in among:
            kind = type(format)
            if kind.from_media_type(key) == format:
                return format
        return None
    key = key.lstrip(".")
    key = OTHER_NAMES.get(key, key)
    for format in among:
        if type(format).from_extension(key) == format or format.name.lower() == key:
            return format
    return None


def by_suffix(suffix: str) -> ox.RdfFormat | None:
    """The RDF format a file suffix (``.ttl``, ``.owl``) names."""
    found = find(suffix, RDF_FORMATS)
    return found if isinstance(found, ox.RdfFormat) else None


def suffixes() -> list[str]:
    """The file suffixes kgraph reads RDF from."""
    return sorted({f".{f.file_extension}" for f in RDF_FORMATS}
                  | {f".{n}" for n in OTHER_NAMES if "+" not in n}
                  | {".xml", ".json"})
