"""``/dumps/``: the whole dataset as gzip-compressed N-Quads and Turtle.

N-Quads keeps the named graphs; Turtle is the union of all graphs, each triple once.

Each dump is written once per version of the data, to a file beside the snapshot
store (``<store>/dumps/<version>/``, else the server's run directory), by whichever
process asks first (under a lock; quads serialised and compressed batch by batch,
so a large store is never held in memory), with its size, statement count and
SHA-256 in a sidecar (:class:`BuiltDump`).  The catalogue and the ``/dumps/`` page
state those; the file itself is served by Werkzeug's ``send_file``: a
``Content-Length``, a strong ``ETag`` (the SHA-256), ``Last-Modified``, ranges and
conditional requests (304, 206, 412).  A dump of a snapshot that is no longer
served is deleted when the next one is built, unless something still names it
(:func:`built` with ``keep``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, send_file
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


def serialized_chunks(store: ox.Store, dump: Dump,
                      counted: list[int] | None = None) -> Iterator[bytes]:
    """The dump's uncompressed bytes, batch by batch (``counted`` gets the number of
    statements written)."""
    counted = counted if counted is not None else [0]
    if dump.keeps_graphs:
        for batch in _batches(store.quads_for_pattern(None, None, None, None), BATCH):
            counted[0] += len(batch)
            yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS)
        return
    triples = store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True
    )
    for index, batch in enumerate(_batches(triples, BATCH)):
        counted[0] += len(batch)
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
# Built dumps
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltDump:
    """A dump written to a file for one version of the data."""

    filename: str
    version: str
    #: Size of the gzip file in bytes.
    size: int
    #: SHA-256 of the gzip file, in hex.
    sha256: str
    #: Statements in it: quads (N-Quads) or distinct triples (Turtle).
    statements: int
    path: str


def dumps_dir(state: AppState) -> Path:
    """Where dumps are written: beside the snapshot store, else in the run directory."""
    root = state.store_root or state.run_dir()
    return Path(root) / "dumps"


def built(state: AppState, dump: Dump) -> BuiltDump:
    """The dump of the served data, written first if it has not been."""
    version = state.backend.version()[0]
    return state.per_version(f"dump:{dump.key}", lambda: _build(state, dump, version))


def _build(state: AppState, dump: Dump, version: str) -> BuiltDump:
    directory = dumps_dir(state) / _safe(version)
    sidecar = directory / f"{dump.filename}.json"
    found = _read(sidecar)
    if found is not None:
        return found
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process writes; the others wait and read
        found = _read(sidecar)
        if found is not None:
            return found
        target = directory / dump.filename
        partial = directory / f".{dump.filename}.{os.getpid()}"
        digest, size, counted = hashlib.sha256(), 0, [0]
        with open(partial, "wb") as out:
            for chunk in gzip_stream(serialized_chunks(state.reader(), dump, counted)):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
        result = BuiltDump(dump.filename, version, size, digest.hexdigest(), counted[0],
                           str(target))
        sidecar_partial = directory / f".{sidecar.name}.{os.getpid()}"
        sidecar_partial.write_text(json.dumps(asdict(result)), encoding="utf-8")
        os.replace(sidecar_partial, sidecar)
    _remove_old(dumps_dir(state), keep={_safe(version), *_kept(state)})
    return result


def _kept(state: AppState) -> set[str]:
    """Versions whose dumps stay: the snapshots still in the store (the history)."""
    if not state.store_root:
        return set()
    root = Path(state.store_root)
    return {_safe(p.name) for p in root.iterdir() if p.is_dir() and p.name != "dumps"}


def _remove_old(directory: Path, keep: set[str]) -> None:
    for child in directory.iterdir():
        if child.is_dir() and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def _read(sidecar: Path) -> BuiltDump | None:
    with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
        found = BuiltDump(**json.loads(sidecar.read_text(encoding="utf-8")))
        if Path(found.path).is_file():
            return found
    return None


def _safe(version: str) -> str:
    """A version as a directory name (a remote engine's version is a hash already)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in version).lstrip(".")


# ---------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------


@bp.get("/dumps/")
def index() -> Response:
    state = current_state()
    return html_page("dumps.html", dumps=[(d, built(state, d)) for d in DUMPS],
                     version=data_version(state))


@bp.get("/dumps/<name>")
def download(name: str) -> Response:
    dump = next((d for d in DUMPS if d.filename == name), None)
    if dump is None:
        raise NotFound()
    state = current_state()
    found = built(state, dump)
    response = send_file(found.path, mimetype=GZIP, as_attachment=True,
                         download_name=dump.filename, etag=found.sha256[:32],
                         last_modified=data_version(state).modified, max_age=None,
                         conditional=True)
    response.headers["Cache-Control"] = "public, no-cache"
    return response
