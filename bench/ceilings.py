"""Ceilings: the least a Flask app serving the mix can cost, measured beside kgraph.

Issue 12 set its targets against "what a bare Flask app calling pyoxigraph
in-process reaches under granian".  These servers measure that, and then what each
of kgraph's security constructions costs on its own, in the same run as kgraph and
``oxigraph serve-read-only`` (``python -m bench peers --servers ...``):

* ``flask-inprocess``: one Flask route, the query run by pyoxigraph in the web
  process, under granian's own WSGI interface (the issue's ceiling);
* ``flask-sandboxed``: the same route, the query run in a child process (a pipe, a
  length-prefixed frame each way), as kgraph's sandboxes do, without their checks,
  budgets or isolation: the cost of the process hop alone;
* ``flask-fronted``: ``flask-sandboxed`` behind kgraph's RSGI front
  (:class:`kgraph.web.http.front.RSGIFront`, which reads bodies on the event loop
  so that a slow client never holds a thread): the cost of that defence.

Each answers every request of the mix as kgraph does (SPARQL JSON for solutions,
N-Triples for graphs, the union default graph) and reads the same snapshot store.
They are measuring instruments, not servers to deploy: no limits, no errors
handled.
"""

from __future__ import annotations

import os
import queue
import struct
import subprocess
import sys
from typing import Any

import pyoxigraph as ox

#: Where the ceilings read their data (the snapshot store kgraph serves).
ENV_STORE = "KGRAPH_BENCH_STORE"
_LENGTH = struct.Struct("!I")


def answer(store: ox.Store, text: str) -> tuple[bytes, str]:
    """A query's answer and media type, as the mix asks for them."""
    results = store.query(text, use_default_graph_as_union=True)
    if isinstance(results, ox.QueryTriples):
        return results.serialize(format=ox.RdfFormat.N_TRIPLES) or b"", "application/n-triples"
    return (results.serialize(format=ox.QueryResultsFormat.JSON) or b"",
            "application/sparql-results+json")


def _store() -> ox.Store:
    """The current snapshot, read as a query sandbox reads it."""
    from kgraph.engine.operations import QUERY_IN_MEMORY_UP_TO
    from kgraph.snapshots import Follower

    return Follower(os.environ[ENV_STORE], in_memory_up_to=QUERY_IN_MEMORY_UP_TO).store()


def _flask(run: Any) -> Any:
    from flask import Flask, request

    app = Flask("ceiling")

    @app.post("/sparql")
    def sparql() -> tuple[bytes, int, dict[str, str]]:
        body, media_type = run(request.form["query"])
        return body, 200, {"Content-Type": media_type}

    return app


def inprocess_app() -> Any:
    """``flask-inprocess`` (a granian WSGI factory)."""
    store = _store()
    return _flask(lambda text: answer(store, text))


def sandboxed_app() -> Any:
    """``flask-sandboxed`` (a granian WSGI factory): two children per worker, as kgraph
    runs two query sandboxes per worker."""
    children: queue.SimpleQueue[subprocess.Popen] = queue.SimpleQueue()
    for _ in range(2):
        children.put(subprocess.Popen([sys.executable, "-m", "bench.ceilings"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    def run(text: str) -> tuple[bytes, str]:
        child = children.get()
        try:
            data = text.encode()
            child.stdin.write(_LENGTH.pack(len(data)) + data)  # type: ignore[union-attr]
            child.stdin.flush()  # type: ignore[union-attr]
            (size,) = _LENGTH.unpack(child.stdout.read(4))  # type: ignore[union-attr]
            media_type, _, body = child.stdout.read(size).partition(b"\n")  # type: ignore[union-attr]
        finally:
            children.put(child)
        return body, media_type.decode()

    return _flask(run)


def fronted_app() -> Any:
    """``flask-fronted`` (a granian RSGI factory), with a spool of its own for large
    answers, as a kgraph worker has (beside the store: removed with the bench's data)."""
    from pathlib import Path

    from kgraph.web.http.front import RSGIFront
    from kgraph.web.http.spool import Spool

    beside = Path(os.environ[ENV_STORE]).parent / f"ceiling-spool-{os.getpid()}"
    spool = Spool(beside, budget=1 << 30, per_client=64)
    return RSGIFront(sandboxed_app(), threads=8, body_timeout=10,
                     body_limit=lambda *_: 1 << 20, spool=spool)


def child() -> None:
    """A ``flask-sandboxed`` child: a query in, its media type and answer out."""
    store = _store()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while head := inp.read(4):
        (size,) = _LENGTH.unpack(head)
        body, media_type = answer(store, inp.read(size).decode())
        framed = media_type.encode() + b"\n" + body
        out.write(_LENGTH.pack(len(framed)) + framed)
        out.flush()


def server_command(name: str) -> list[str]:
    """The command that serves ceiling ``name`` on ``{port}`` with two workers."""
    factory, interface = {
        "flask-inprocess": ("inprocess_app", "wsgi"),
        "flask-sandboxed": ("sandboxed_app", "wsgi"),
        "flask-fronted": ("fronted_app", "rsgi"),
    }[name]
    return [sys.executable, "-m", "granian", "--interface", interface, "--factory",
            "--workers", "2", "--host", "127.0.0.1", "--port", "{port}", "--http", "1",
            "--no-ws", "--no-log", f"bench.ceilings:{factory}"]


NAMES = ("flask-inprocess", "flask-sandboxed", "flask-fronted")


if __name__ == "__main__":
    child()
