"""An uploaded file put in place of part of the served data: the candidate dataset.

A triple file (Turtle, N-Triples, RDF/XML, JSON-LD) replaces the named graph named
after it (``entries.ttl`` replaces ``graph/entries``); a dataset file (TriG, N-Quads)
replaces the graphs it holds; a plan spreadsheet (CSV, XLSX) replaces the entries
graph.  Nothing is written.  This runs in a sandbox (:mod:`kgraph.engine.worker`):
the bytes are a stranger's.

File names are labels: any name gives a result or a clear error.  The graph a
triple file goes into is named after the file's stem, percent-encoded so that the
graph name is always a valid IRI (``a b.ttl`` → ``graph/a%20b``).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pyoxigraph as ox

from .dataset import SourceError, parse_source
from .iris import graph_iri
from .sources import FORMATS as RDF_FORMATS
from .sources import Source
from .table.context import ContextError, build_context
from .table.errors import CellError, TableError, Where
from .table.files import ENTRIES, import_table

TABLE_SUFFIXES = (".csv", ".xlsx")
KNOWN_SUFFIXES = (*RDF_FORMATS, *TABLE_SUFFIXES)

#: Statements an uploaded RDF file may hold: the plan's whole dataset has a few
#: thousand; a million would keep a sandbox busy for a minute and take gigabytes.
MAX_UPLOAD_STATEMENTS = 200_000


class UploadError(Exception):
    """An upload that cannot be read: a parse error or spreadsheet errors."""

    def __init__(self, problems: list[CellError]) -> None:
        super().__init__(problems[0].text("en") if problems else "bad upload")
        self.problems = problems


def problem(where: str, ja: str, en: str) -> CellError:
    return CellError(Where(where), ja, en)


def clean_name(name: str | None) -> str:
    """The file's own name (no folders), never empty."""
    stem = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    return stem or "upload"


def graph_for(base: str, name: str) -> str:
    """The named graph a triple file called ``name`` replaces (always a valid IRI)."""
    stem = PurePosixPath(name).stem or "upload"
    return graph_iri(base, quote(stem, safe="-._~"))


def candidate_quads(name: str, data: bytes, served: list[ox.Quad], base: str) -> list[ox.Quad]:
    """The served dataset with the uploaded file in place."""
    suffix = PurePosixPath(name).suffix.lower()
    entries = ox.NamedNode(graph_iri(base, ENTRIES))
    if suffix in TABLE_SUFFIXES:
        others = [q for q in served if q.graph_name != entries]
        try:
            triples = import_table(data, name, build_context(others, base))
        except TableError as error:
            raise UploadError(error.errors) from None
        except ContextError as error:
            raise UploadError([problem(
                name,
                f"表を読むためのデータが足りません：{error}",
                f"the served data lacks what the table needs: {error}",
            )]) from error
        return others + [ox.Quad(t.subject, t.predicate, t.object, entries) for t in triples]
    fmt = RDF_FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(set(KNOWN_SUFFIXES)))
        raise UploadError([problem(
            name,
            f"拡張子「{suffix}」の形式は読めません（{known}）。",
            f"unknown file type {suffix!r} (known: {known})",
        )])
    own_graph = ox.NamedNode(graph_for(base, name))
    source = Source(Path(name), fmt, None if fmt.supports_datasets else own_graph.value)
    try:
        quads = parse_source(source, base, data, limit=MAX_UPLOAD_STATEMENTS)
    except SourceError as error:
        raise UploadError(
            [problem(name, f"読めません：{error}", f"cannot parse: {error}")]) from None
    quads = [
        q if isinstance(q.graph_name, ox.NamedNode)
        else ox.Quad(q.subject, q.predicate, q.object, own_graph)
        for q in quads
    ]
    replaced = {q.graph_name for q in quads} | {own_graph}
    return [q for q in served if q.graph_name not in replaced] + quads
