"""``/dumps/``: the whole dataset as gzip-compressed N-Quads and Turtle.

N-Quads keeps the named graphs; Turtle is the union of all graphs, each triple once.
Dumps are streamed: quads are serialised and compressed batch by batch, so that a
large on-disk store is never held in memory as one bytes object.

Caches and harvesters re-download only what changed: every dump has an ``ETag``
(weak, because the compressed bytes are not promised to be identical, only their
content) and a ``Last-Modified`` from the served data version; ``If-None-Match`` and
``If-Modified-Since`` get 304, and ``HEAD`` answers with the same headers and no body.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from ...iris import PREFIXES
from ..http.pages import html_page
from ..state import AppState, current_state

bp = Blueprint("dumps", __name__)

#: Quads serialised and compressed at a time.
BATCH = 20_000
GZIP = "application/gzip"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Dump:
    """One downloadable file and how catalogues describe it."""

    key: str
    filename: str
    label: str
    #: Media type of the content inside the gzip file.
    media_type: str
    #: EU file-type authority code (dcterms:format in DCAT-AP).
    eu_format: str
    keeps_graphs: bool

    @property
    def path(self) -> str:
        return f"dumps/{self.filename}"

    @property
    def iana_media_type(self) -> str:
        return IANA + self.media_type


NQUADS = Dump("nquads", "kgraph.nq.gz", "N-Quads", "application/n-quads",
              EU_FILE_TYPE + "RDF_N_QUADS", True)
TURTLE = Dump("turtle", "kgraph.ttl.gz", "Turtle", "text/turtle",
              EU_FILE_TYPE + "RDF_TURTLE", False)
DUMPS: tuple[Dump, ...] = (NQUADS, TURTLE)


# ---------------------------------------------------------------------------
# The version of the served data (for ETag and Last-Modified)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataVersion:
    """What identifies the served data, and when it last changed."""

    tag: str
    modified: datetime


def data_version(state: AppState) -> DataVersion:
    """The served data's version: its backend's identifier (a snapshot's name, or a
    remote engine's content hash) and when it last changed."""
    tag, modified = state.backend.version()
    return DataVersion(tag, _mtime(modified))


def _mtime(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def serialized_chunks(store: ox.Store, dump: Dump) -> Iterator[bytes]:
    """The dump's uncompressed bytes, batch by batch."""
    if dump.keeps_graphs:
        for batch in _batches(store.quads_for_pattern(None, None, None, None), BATCH):
            yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS)
        return
    triples = store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
    )
    for index, batch in enumerate(_batches(triples, BATCH)):
        data = ox.serialize(batch, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        yield data if index == 0 else _without_prefixes(data)


def _without_prefixes(turtle: bytes) -> bytes:
    """A later batch of Turtle without the ``@prefix`` lines the first one declared."""
    lines = turtle.split(b"\n")
    start = 0
    while start < len(lines) and lines[start].startswith(b"@prefix "):
        start += 1
    return b"\n".join(lines[start:])


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Compress a stream of bytes into one gzip member (no file name, time 0)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


@bp.get("/dumps/")
def index() -> Response:
    return html_page("dumps.html", dumps=DUMPS, version=data_version(current_state()))


@bp.get("/dumps/<name>")
def download(name: str) -> Response:
    dump = next((d for d in DUMPS if d.filename == name), None)
    if dump is None:
        raise NotFound()
    state = current_state()
    version = data_version(state)
    store = state.reader()
    response = Response(gzip_stream(serialized_chunks(store, dump)), mimetype=GZIP)
    # Never buffer the generator (Werkzeug would, to compute a Content-Length).
    response.implicit_sequence_conversion = False
    response.set_etag(f"{version.tag}-{dump.key}", weak=True)
    response.last_modified = version.modified
    response.headers["Content-Disposition"] = f'attachment; filename="{dump.filename}"'
    response.headers["Cache-Control"] = "public, no-cache"
    return response.make_conditional(request)
