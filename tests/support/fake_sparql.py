"""A SPARQL endpoint on loopback that records every text it is sent: a stand-in for
the engine behind ``server.py --sparql-backend`` in the hostile tests.

It answers from a small in-memory pyoxigraph store (SPARQL JSON results for SELECT
and ASK, N-Triples for CONSTRUCT and DESCRIBE; the protocol's ``default-graph-uri``
and ``named-graph-uri``; no dataset: the union of the named graphs), which is all
kgraph's remote client asks of an engine.  What it received is in :attr:`texts`,
so a test can check that a text never reached it.

Within ``with engine.answering(kind):`` it sends a hostile answer instead of the
real one to every query a client makes (kgraph's own look-ups of graphs and health
still get real answers); when the block ends, hostile answers still being sent stop:

``"endless"``  a 200 SPARQL JSON answer whose rows keep coming, as fast as the
               socket takes them, up to :attr:`FakeEngine.endless_bytes`;
``"trickle"``  a 200 SPARQL JSON answer that sends one row a second, forever (until
               the client goes away or the engine is closed);
``"broken"``   a 200 SPARQL JSON answer cut off after its first bytes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pyoxigraph as ox

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
ROW = b'{"s":{"type":"uri","value":"urn:fake:row-0000000000000000000000000000000000000000"}},'

#: The query texts kgraph itself sends to learn the engine's graphs and health.
OWN_LOOKUPS = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "ASK { ?s ?p ?o }")


class FakeEngine:
    """The endpoint, serving on ``url`` until :meth:`close` (or the ``with`` block ends)."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.store = ox.Store()
        self.store.bulk_extend(list(quads))
        self.texts: list[str] = []
        self.answer = "real"
        self.endless_bytes = 256 << 20
        self._closed = threading.Event()
        self._calm = threading.Event()
        engine = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                engine._handle(self, urlsplit(self.path).query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                if self.headers.get("Content-Type", "").startswith("application/sparql-query"):
                    body = urlencode({"query": body})  # SERVICE sends the text as the body
                engine._handle(self, urlsplit(self.path).query + "&" + body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self.server.shutdown()
        self.server.server_close()

    @contextlib.contextmanager
    def answering(self, kind: str) -> Iterator[None]:
        """Hostile answers of ``kind`` while the block runs."""
        self._calm.clear()
        self.answer = kind
        try:
            yield
        finally:
            self.answer = "real"
            self._calm.set()

    def received(self, needle: str) -> list[str]:
        """The texts received that contain ``needle`` (case-insensitive)."""
        return [t for t in self.texts if needle.lower() in t.lower()]

    # -- answering ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, form: str) -> None:
        params = parse_qsl(form, keep_blank_values=True)
        text = next((v for k, v in params if k == "query"), "")
        self.texts.append(text)
        own = any(text.endswith(lookup) for lookup in OWN_LOOKUPS) or "GRAPH ?g {" in text
        if self.answer != "real" and not own:
            self._hostile(handler)
            return
        try:
            body, media = self._evaluate(text, params, handler.headers.get("Accept", ""))
        except (SyntaxError, ValueError) as error:
            body, media, status = str(error).encode(), "text/plain", 400
        else:
            status = 200
        handler.send_response(status)
        handler.send_header("Content-Type", media)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _evaluate(self, text: str, params: list[tuple[str, str]], accept: str,
                  ) -> tuple[bytes, str]:
        defaults = [ox.NamedNode(v) for k, v in params if k == "default-graph-uri"]
        named = [ox.NamedNode(v) for k, v in params if k == "named-graph-uri"]
        kwargs: dict[str, object] = (
            {"default_graph": defaults, "named_graphs": named} if defaults or named
            else {"use_default_graph_as_union": True})
        results = self.store.query(text, **kwargs)
        if isinstance(results, ox.QueryTriples):
            return ox.serialize(list(results), format=ox.RdfFormat.N_TRIPLES) or b"", NTRIPLES
        del accept
        return results.serialize(format=ox.QueryResultsFormat.JSON), JSON

    def _hostile(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", JSON)
        handler.send_header("Connection", "close")
        handler.end_headers()
        with contextlib.suppress(OSError):
            handler.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[')
            for chunk in self._rows():
                handler.wfile.write(chunk)
                handler.wfile.flush()
        handler.close_connection = True

    def _rows(self) -> Iterator[bytes]:
        if self.answer == "broken":
            return
        if self.answer == "endless":
            block = ROW * 4096
            for _ in range(self.endless_bytes // len(block)):
                if self._closed.is_set() or self._calm.is_set():
                    return
                yield block
            return
        while not (self._closed.is_set() or self._calm.is_set()):  # trickle
            yield ROW
            time.sleep(1.0)
