"""The app behind granian's RSGI interface: no Python thread ever waits for a client.

granian (a Rust HTTP server) reads request heads with a deadline
(``--header-timeout``) before any Python code runs.  Bodies are the other half: a
WSGI app reads its body with blocking calls, and under granian's WSGI interface a
client that sends one byte every few seconds holds a request thread for as long as
it likes (granian has no body timeout; a read cannot be interrupted).  So the app
is served through RSGI, granian's asynchronous interface, and this adapter:

1. reads the whole body on the event loop, as it arrives, within ``--body-timeout``
   seconds from the start and at most the path's body limit
   (:func:`kgraph.web.http.security.body_limit`; a larger one is not read at all):
   a trickling client costs a socket, never a thread, and is cut at the deadline
   (``408``, the connection closed).  The bodies a worker holds at once are
   bounded too (:data:`BODY_BUDGET_LIMITS` times the largest limit): beyond, 503;
2. then runs the Flask app (WSGI, PEP 3333) on one of ``--threads`` request threads,
   with the body in memory;
3. sends the answer: a small one whole; a larger one (a query's answer, a dump)
   from a file, which granian reads as the client takes it
   (:mod:`kgraph.web.http.spool`: what unread answers pin is disk, counted per
   client and per worker, never memory).

Request heads are bounded further than granian bounds them: a header whose name
has an underscore is dropped (it would take the place of the same name with
hyphens: ``X_Forwarded_For`` for ``X-Forwarded-For``, as nginx and gunicorn drop
them), and a header value over :data:`MAX_HEADER_BYTES` is refused (431).  Each
client (:mod:`kgraph.web.http.clients`) may have at most one of the largest
bodies being read at a time.

A body that could not be had is left to the app to answer (in the client's
language; see :mod:`kgraph.web.http.security`), through ``kgraph.body_problem`` in the
environ.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .clients import PEER_KEY, client_address, client_key
from .spool import Spool

log = logging.getLogger("kgraph.front")

#: Set in the environ when the body could not be had: the app answers it.
BODY_PROBLEM = "kgraph.body_problem"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Answers larger than this are sent from a spool file.
CHUNK_BYTES = 256 * 1024
#: The longest header value a request may send (nginx's default buffer: 8 KiB).
MAX_HEADER_BYTES = 8192

#: How many of the largest bodies a worker reads at once.
BODY_BUDGET_LIMITS = 4


class BodyProblem(Exception):
    """Why a request could not be had: ``timeout``, ``too-large``, ``framing``,
    ``unreadable``, ``busy`` (its body); ``header`` (a header too long)."""


class RSGIFront:
    """An RSGI application that serves a WSGI application (see the module docstring)."""

    def __init__(self, app: WSGIApp, *, threads: int, body_timeout: float,
                 body_limit: Callable[[str, str, str], int], spool: Spool,
                 proxy_hops: int = 0) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.body_limit = body_limit
        self.spool = spool
        self.proxy_hops = proxy_hops
        self.largest_body = max(body_limit("POST", path, "") for path in ("/sparql",
                                                                          "/validation"))
        self.body_budget = BODY_BUDGET_LIMITS * self.largest_body
        # Bytes of bodies being read, in all and per client (touched on the event loop only).
        self.bodies_held = 0
        self.held_by: dict[str, int] = {}
        self.threads = ThreadPoolExecutor(max_workers=max(1, threads),
                                          thread_name_prefix="request")

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        problem = ""
        client = client_address(scope.client.rpartition(":")[0].strip("[]"),
                                scope.headers.get("x-forwarded-for"), self.proxy_hops)
        try:
            _check_headers(scope)
            body = await self._body(scope, proto, client_key(client))
        except BodyProblem as error:
            body, problem = b"", str(error)
        environ = self._environ(scope, body, problem, client)
        loop = asyncio.get_running_loop()
        try:
            answer = await loop.run_in_executor(self.threads, self._serve, environ,
                                                bool(problem))
        except Exception:  # the app itself answers every error; this is a last resort
            log.exception("the app failed outside its own error handling")
            answer = (500, [("Content-Type", "text/plain; charset=utf-8")],
                      b"Internal server error.\n")
        status, headers, body_or_file = answer
        if isinstance(body_or_file, Path):
            proto.response_file(status, headers, str(body_or_file))
        else:
            proto.response_bytes(status, headers, body_or_file)

    async def _body(self, scope: Any, proto: Any, client: str) -> bytes:
        headers = scope.headers
        length = (headers.get("content-length") or "").strip()
        chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
        if not chunked and length in ("", "0"):
            return b""
        if length and chunked:  # a sign of request smuggling (RFC 9112 6.3)
            raise BodyProblem("framing")
        if length and not length.isdigit():
            raise BodyProblem("framing")
        limit = self.body_limit(scope.method, scope.path, headers.get("content-type") or "")
        if length and int(length) > limit:
            raise BodyProblem("too-large")
        # What this body may take of the budgets: all its declared length at once, or
        # (chunked) up to its limit.  A client reads one of the largest bodies at a time.
        claim = int(length) if length else limit
        mine = self.held_by.get(client, 0)
        if self.bodies_held + claim > self.body_budget or mine + claim > self.largest_body:
            raise BodyProblem("busy")
        self.bodies_held += claim
        self.held_by[client] = mine + claim
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                if not chunked:  # hyper reads no more than the length (at most the limit)
                    return await proto()
                async for chunk in proto:
                    size += len(chunk)
                    if size > limit:
                        raise BodyProblem("too-large")
                    parts.append(chunk)
        except TimeoutError:
            raise BodyProblem("timeout") from None
        except BodyProblem:
            raise
        except Exception:
            raise BodyProblem("unreadable") from None
        finally:
            self.bodies_held -= claim
            left = self.held_by.pop(client, 0) - claim
            if left > 0:
                self.held_by[client] = left
        return b"".join(parts)

    def _environ(self, scope: Any, body: bytes, problem: str,
                 client: str) -> dict[str, Any]:
        """The WSGI environ of a request (PEP 3333)."""
        host, _, port = scope.server.rpartition(":")
        peer, _, peer_port = scope.client.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1.
            "PATH_INFO": _latin1(scope.path),
            "QUERY_STRING": _latin1(scope.query_string),
            "SERVER_NAME": host.strip("[]"),
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            # The client, read once (behind proxies: from X-Forwarded-For).
            "REMOTE_ADDR": client,
            "REMOTE_PORT": peer_port if client == peer.strip("[]") else "",
            PEER_KEY: peer.strip("[]"),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileAnswer,
        }
        for name in scope.headers.keys():  # noqa: SIM118 - a mapping-like object
            if name == "content-length" or "_" in name:  # the body's length is set below;
                continue  # X_Forwarded_For would take X-Forwarded-For's place
            values = scope.headers.get_all(name)
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = values[-1]
                continue
            key = "HTTP_" + key
            environ[key] = (";" if key == "HTTP_COOKIE" else ",").join(values)
        if body or scope.headers.get("content-length") or scope.headers.get("transfer-encoding"):
            environ["CONTENT_LENGTH"] = str(len(body))
        if problem:
            environ[BODY_PROBLEM] = problem
        return environ

    def _serve(self, environ: dict[str, Any], closing: bool,
               ) -> tuple[int, list[tuple[str, str]], bytes | Path]:
        """Run the WSGI app on a request thread.  A small answer is returned whole; a
        larger one is written to a spool file (on this same thread: what the app
        iterates, a store's cursor for one, may not move to another thread)."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Callable[[bytes], None]:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            headers = list(headers)
            if closing:  # the body was not read: the connection cannot be reused
                headers = [h for h in headers if h[0].lower() != "connection"]
                headers.append(("Connection", "close"))
            started[:] = [int(status.split(" ", 1)[0]), headers]
            return _no_write

        result = self.app(environ, start_response)
        try:
            on_disk = result.path() if isinstance(result, FileAnswer) else None
            if on_disk is not None:  # a file (a dump, a static asset): granian sends it
                return started[0], started[1], on_disk
            iterator = iter(result)
            first = next(iterator, None)  # the app may start the response only now
            if first is None:
                return started[0], started[1], b""
            second = next(iterator, None)
            if second is None and len(first) <= CHUNK_BYTES:
                return started[0], started[1], first
            client = client_key(environ["REMOTE_ADDR"])
            refused = self.spool.refusal(client)
            if refused is not None:
                log.warning("a large answer refused: %s",
                            "the client has not taken its earlier ones" if refused == "client"
                            else "this worker holds too many answers nobody has taken")
                return _unread_answers(environ, refused)
            path, size = self.spool.write(_chain(first, second, iterator), client)
            self.spool.forget_later(path, size)
            headers = [h for h in started[1] if h[0].lower() != "content-length"]
            headers.append(("Content-Length", str(size)))
            return started[0], headers, path
        finally:
            _close(result)


class FileAnswer:
    """``wsgi.file_wrapper``: a file the app answers with whole (Werkzeug's
    ``send_file``) is sent by granian from disk, as a spool file is: it pins no
    memory and is not one of the client's answers to be taken (a page's large
    scripts load in parallel).  A part of one (a range) is iterated as usual."""

    def __init__(self, file: Any, block_size: int = CHUNK_BYTES) -> None:
        self.file, self.block_size = file, block_size

    def path(self) -> Path | None:
        """The file's path when it is a regular file read from its start."""
        name = getattr(self.file, "name", None)
        try:
            if isinstance(name, str) and self.file.tell() == 0 and Path(name).is_file():
                return Path(name)
        except (OSError, ValueError):
            pass
        return None

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.file.read(self.block_size):
            yield chunk

    def close(self) -> None:
        self.file.close()


def _check_headers(scope: Any) -> None:
    for name in scope.headers.keys():  # noqa: SIM118 - a mapping-like object
        if any(len(value) > MAX_HEADER_BYTES for value in scope.headers.get_all(name)):
            raise BodyProblem("header")


def _unread_answers(environ: dict[str, Any],
                    why: str) -> tuple[int, list[tuple[str, str]], bytes]:
    from ...messages import choose, text

    accepted = [part.split(";")[0].strip()
                for part in environ.get("HTTP_ACCEPT_LANGUAGE", "").split(",")[:8]]
    lang = choose(None, [a for a in accepted if a])
    status = 429 if why == "client" else 503
    body = text(f"body.unread_{why}", lang) + "\n"
    return status, [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "5"),
                    ("Content-Language", lang)], body.encode()


def _latin1(text: str) -> str:
    """Text the server decoded as UTF-8, as WSGI wants it: its bytes as latin-1."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _chain(first: bytes, second: bytes | None, rest: Any) -> Iterable[bytes]:
    yield first
    if second is not None:
        yield second
        yield from rest


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _no_write(data: bytes) -> None:
    raise RuntimeError("the write() callable of start_response is not supported")
