"""Parsing sources into quads, with errors that name the file, line and column.

Parsing is done by pyoxigraph (fast, strict); :func:`to_rdflib` hands the result
to rdflib for pySHACL.  Nothing here touches a store: a dataset is a candidate
until :mod:`kgraph.service` has validated it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox
import rdflib

from .parse_limits import check_document
from .sources import Source


@dataclass
class SourceError(Exception):
    """A source that cannot be read or parsed."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def parse_source(
    source: Source, base: str, data: bytes | None = None, limit: int | None = None
) -> list[ox.Quad]:
    """All quads of one source; triples are put into the source's graph.

    ``data`` parses those bytes instead of reading ``source.path`` (uploads).  With
    ``limit``, parsing stops with an error past that many statements (a small file
    can hold millions: a list of a million ``1`` is 2 MB and 2 million triples).
    """
    try:
        if data is None:
            data = source.path.read_bytes()
        check_document(data, source.format)
        parsed = ox.parse(data, format=source.format, base_iri=base)
        if limit is not None:
            parsed = islice(parsed, limit + 1)
        if source.graph is None:
            quads = list(parsed)
        else:
            graph = ox.NamedNode(source.graph)
            quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in parsed]
        if limit is not None and len(quads) > limit:
            return _raise(source, f"more than {limit} statements; this is the limit here",
                          None, None)
        return quads
    except SyntaxError as error:
        message = str(error.args[0]) if error.args else str(error)
        return _raise(source, message, error.lineno, error.offset)
    except (OSError, ValueError) as error:
        return _raise(source, str(error), None, None)


def _raise(source: Source, message: str, line: int | None, column: int | None) -> list[ox.Quad]:
    raise SourceError(str(source.path), message, line, column)


def parse_sources(sources: Iterable[Source], base: str) -> list[ox.Quad]:
    """All quads of all sources, in source order."""
    quads: list[ox.Quad] = []
    for source in sources:
        quads.extend(parse_source(source, base))
    return quads


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The union of the quads' graphs as one rdflib graph (what SHACL validates)."""
    triples = (q.triple for q in quads)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    if data:
        graph.parse(data=data, format="nt")
    return graph


def graph_names(quads: Iterable[ox.Quad]) -> list[str]:
    """The named graphs the quads are in, sorted."""
    return sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)})
