"""Running one query on a store and serialising its results, with the row cap.

This runs inside a sandbox process (see :mod:`kgraph.engine.sandbox`), so it imports
nothing but pyoxigraph and the standard library.

Serialisation is pyoxigraph's.  The row cap (``max_rows``) must not make the
executor walk a huge result, and pyoxigraph cannot serialise a Python list of
solutions; so SELECT results are first written as SPARQL TSV, where every solution
is exactly one line, into a writer that stops the serialiser once ``max_rows + 1``
lines have arrived (pyoxigraph writes in 8 KiB chunks, so little more is computed).
The kept lines are parsed back with :func:`pyoxigraph.parse_query_results` and
written in the negotiated format; the TSV round trip keeps every term (blank node
labels, triple terms, language and direction).  CONSTRUCT and DESCRIBE triples are
collected up to the cap and serialised with :func:`pyoxigraph.serialize`.

When the cap cuts a result, the outcome says so and the endpoint adds the response
header ``X-SPARQL-MaxRows: <cap>`` (the header Virtuoso uses for the same purpose).
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from .. import formats
from ..formats import media_type

#: The formats a query's answer is written in, by media type (pyoxigraph's own).
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    media_type(f): f for f in formats.RESULT_FORMATS}
RDF_FORMATS: dict[str, ox.RdfFormat] = {media_type(f): f for f in formats.RDF_FORMATS}


@dataclass
class Dataset:
    """The RDF dataset a request asks for.

    ``default_graphs``/``named_graphs`` are the protocol's ``default-graph-uri`` and
    ``named-graph-uri``; when neither is given, the query's own ``FROM`` clauses
    apply, and without those the default graph is the union of all graphs.
    """

    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)

    @property
    def given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass
class Outcome:
    """What a query answers: a body to send, or an error to report."""

    status: int
    media_type: str = ""
    body: bytes = b""
    truncated: bool = False
    form: str = ""
    error: str = ""  # "syntax", "not-acceptable", "query", "refused", ...
    detail: str = ""
    #: For a refusal: the catalogue key of its message, and the message's values.
    message: str = ""
    values: dict = field(default_factory=dict)

    @classmethod
    def from_frame(cls, header: Mapping[str, object], body: bytes) -> Outcome:
        """An outcome from a sandbox's answer (plain fields only, checked)."""
        return cls(
            status=int(header.get("status", 500)),  # type: ignore[call-overload]
            media_type=str(header.get("media_type", "")),
            body=body,
            truncated=bool(header.get("truncated", False)),
            form=str(header.get("form", "")),
            error=str(header.get("error", "")),
            detail=str(header.get("detail", "")),
            message=str(header.get("message", "")),
            values=dict(header.get("values") or {}),  # type: ignore[call-overload]
        )


def outcome_header(outcome: Outcome) -> dict[str, object]:
    """An outcome's fields but the body, for a frame."""
    return {"status": outcome.status, "media_type": outcome.media_type,
            "truncated": outcome.truncated, "form": outcome.form,
            "error": outcome.error, "detail": outcome.detail}


def run_query(
    store: ox.Store,
    text: str,
    *,
    dataset: Dataset,
    has_dataset_clause: bool,
    result_type: str | None,
    graph_type: str | None,
    max_rows: int,
    max_bytes: int = 0,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
    remote_allowed: bool = False,
) -> Outcome:
    """Evaluate and serialise; syntax errors come back as a 400 outcome.  An answer
    is cut at ``max_rows`` rows and, when ``max_bytes`` is set, at the rows that fit
    in that many bytes."""
    kwargs: dict[str, object] = {"base_iri": base_iri, "prefixes": dict(prefixes or {})}
    if dataset.given:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
    elif not has_dataset_clause:
        kwargs["use_default_graph_as_union"] = True
    try:
        results = store.query(text, **kwargs)
        return _serialise(results, result_type, graph_type, max_rows, prefixes, max_bytes)
    except SyntaxError as error:
        return Outcome(400, error="syntax", detail=_syntax_detail(error))
    except ValueError as error:
        return Outcome(400, error="query", detail=str(error))
    except (OSError, RuntimeError) as error:  # I/O of SERVICE; RuntimeError: its answer
        refused = getattr(error, "errno", None) == errno.EACCES or "os error 13" in str(error)
        if remote_allowed and not refused:  # an allow-listed SERVICE failed: remote
            return Outcome(502, error="remote", detail=str(error))
        if "service" in text.casefold():  # the sandbox's isolation refused the call
            return Outcome(400, error="remote-refused", detail=str(error))
        raise


def _serialise(
    results: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    result_type: str | None,
    graph_type: str | None,
    max_rows: int,
    prefixes: Mapping[str, str] | None,
    max_bytes: int = 0,
) -> Outcome:
    if isinstance(results, ox.QueryBoolean):
        if result_type is None:
            return Outcome(406, error="not-acceptable", form="ASK")
        body = results.serialize(format=RESULT_FORMATS[result_type])
        return Outcome(200, result_type, body, form="ASK")
    if isinstance(results, ox.QueryTriples):
        if graph_type is None:
            return Outcome(406, error="not-acceptable", form="CONSTRUCT")
        return serialise_triples(results, graph_type, max_rows, prefixes, max_bytes)
    if result_type is None:
        return Outcome(406, error="not-acceptable", form="SELECT")
    return serialise_solutions(results, result_type, max_rows, max_bytes)


def _syntax_detail(error: SyntaxError) -> str:
    message = str(error.args[0]) if error.args else str(error)
    return message


class _EnoughRows(Exception):
    """Raised by :class:`_LineLimitedWriter` to stop pyoxigraph's serialiser."""


class _LineLimitedWriter:
    """A binary writer that accepts data until it holds ``limit`` lines (or, with
    ``max_bytes``, that many bytes)."""

    def __init__(self, limit: int, max_bytes: int = 0) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.chunks: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.full = False
        self.over_bytes = False

    def write(self, data: bytes) -> int:
        if self.full:  # pyoxigraph may flush its buffer again after we stopped it
            raise _EnoughRows
        data = bytes(data)
        self.chunks.append(data)
        self.lines += data.count(b"\n")
        self.size += len(data)
        if self.lines >= self.limit:
            self.full = True
            raise _EnoughRows
        if self.max_bytes and self.size > self.max_bytes:
            self.full = self.over_bytes = True
            raise _EnoughRows
        return len(data)

    def flush(self) -> None:
        pass

    def lines_kept(self, count: int) -> bytes:
        data = b"".join(self.chunks)
        end = -1
        for _ in range(count):
            end = data.find(b"\n", end + 1)
            if end < 0:
                return data
        return data[: end + 1]


def serialise_solutions(
    results: ox.QuerySolutions, media_type: str, max_rows: int, max_bytes: int = 0
) -> Outcome:
    """SELECT results in ``media_type``, at most ``max_rows`` solutions and, with
    ``max_bytes``, only the solutions that fit in that many bytes."""
    writer = _LineLimitedWriter(max_rows + 2, max_bytes)  # header + max_rows + one more
    try:
        results.serialize(writer, format=ox.QueryResultsFormat.TSV)
    except _EnoughRows:
        pass
    except OSError as error:
        if not writer.full:
            raise
        del error
    available = max(writer.lines - 1, 0)  # complete rows after the header line
    truncated = available > max_rows or writer.over_bytes
    rows = min(available, max_rows)
    while True:
        tsv = writer.lines_kept(rows + 1)
        if not truncated and media_type == "text/tab-separated-values":
            body = tsv
        else:
            parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
            body = parsed.serialize(format=RESULT_FORMATS[media_type])
        if not max_bytes or len(body) <= max_bytes or rows == 0:
            return Outcome(200, media_type, body, truncated=truncated, form="SELECT")
        rows, truncated = rows // 2, True


def serialise_triples(
    triples: Iterable[ox.Triple],
    media_type: str,
    max_rows: int,
    prefixes: Mapping[str, str] | None = None,
    max_bytes: int = 0,
) -> Outcome:
    """CONSTRUCT/DESCRIBE results in ``media_type``, at most ``max_rows`` triples and,
    with ``max_bytes``, only the triples that fit in that many bytes."""
    kept: list[ox.Triple] = []
    truncated = False
    for triple in triples:
        if len(kept) >= max_rows:
            truncated = True
            break
        kept.append(triple)
    while True:
        body = serialise_graph(kept, media_type, prefixes)
        if not max_bytes or len(body) <= max_bytes or not kept:
            return Outcome(200, media_type, body, truncated=truncated, form="CONSTRUCT")
        kept, truncated = kept[: len(kept) // 2], True


def serialise_graph(
    triples: Sequence[ox.Triple] | Sequence[ox.Quad],
    media_type: str,
    prefixes: Mapping[str, str] | None = None,
) -> bytes:
    """Triples (or quads, for dataset formats) in an RDF format, with prefixes."""
    fmt = RDF_FORMATS[media_type]
    if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS) or not prefixes:
        return ox.serialize(triples, format=fmt) or b""
    return ox.serialize(triples, format=fmt, prefixes=dict(prefixes)) or b""
