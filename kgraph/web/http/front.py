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
3. sends the answer: a small one whole; a large one (a query's answer, a dump)
   in chunks from the request thread, each taken by the client within
   ``--body-timeout`` seconds or the answer is cut.  The app's ``close`` runs
   once the last byte is handed over, which is when a client's query slot is
   freed (:mod:`kgraph.web.work`): a client that does not read its answers cannot
   start more of them, and what one answer pins is bounded by
   ``--max-result-bytes`` times the request threads.

A body that could not be had is left to the app to answer (in the client's
language; see :mod:`kgraph.web.http.security`), through ``kgraph.body_problem`` in the
environ.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("kgraph.front")

#: Set in the environ when the body could not be had: the app answers it.
BODY_PROBLEM = "kgraph.body_problem"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Answers larger than this are sent in chunks of this size, each with a deadline.
CHUNK_BYTES = 256 * 1024

#: How many of the largest bodies a worker reads at once.
BODY_BUDGET_LIMITS = 4


class BodyProblem(Exception):
    """Why a request's body was not read: ``timeout``, ``too-large``, ``framing``,
    ``unreadable``."""


class RSGIFront:
    """An RSGI application that serves a WSGI application (see the module docstring)."""

    def __init__(self, app: WSGIApp, *, threads: int, body_timeout: float,
                 body_limit: Callable[[str, str], int]) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.body_limit = body_limit
        self.body_budget = BODY_BUDGET_LIMITS * max(
            body_limit("POST", path) for path in ("/sparql", "/validation"))
        self.bodies_held = 0  # bytes of bodies being read (touched on the event loop only)
        self.threads = ThreadPoolExecutor(max_workers=max(1, threads),
                                          thread_name_prefix="request")

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        problem = ""
        try:
            body = await self._body(scope, proto)
        except BodyProblem as error:
            body, problem = b"", str(error)
        environ = self._environ(scope, body, problem)
        loop = asyncio.get_running_loop()
        try:
            whole = await loop.run_in_executor(self.threads, self._serve, environ, proto, loop,
                                               bool(problem))
        except Exception:  # the app itself answers every error; this is a last resort
            log.exception("the app failed outside its own error handling")
            whole = (500, [("Content-Type", "text/plain; charset=utf-8")],
                     b"Internal server error.\n")
        if whole is not None:
            proto.response_bytes(*whole)

    async def _body(self, scope: Any, proto: Any) -> bytes:
        headers = scope.headers
        length = (headers.get("content-length") or "").strip()
        chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
        if not chunked and length in ("", "0"):
            return b""
        if length and chunked:  # a sign of request smuggling (RFC 9112 6.3)
            raise BodyProblem("framing")
        if length and not length.isdigit():
            raise BodyProblem("framing")
        limit = self.body_limit(scope.method, scope.path)
        if length and int(length) > limit:
            raise BodyProblem("too-large")
        # What this body may take of the worker's budget: all its declared length at
        # once, or (chunked) up to its limit.
        claim = int(length) if length else limit
        if self.bodies_held + claim > self.body_budget:
            raise BodyProblem("busy")
        self.bodies_held += claim
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
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
        return b"".join(parts)

    def _environ(self, scope: Any, body: bytes, problem: str) -> dict[str, Any]:
        """The WSGI environ of a request (PEP 3333)."""
        host, _, port = scope.server.rpartition(":")
        client, _, client_port = scope.client.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1.
            "PATH_INFO": _latin1(scope.path),
            "QUERY_STRING": _latin1(scope.query_string),
            "SERVER_NAME": host.strip("[]"),
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client.strip("[]"),
            "REMOTE_PORT": client_port,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name in scope.headers.keys():  # noqa: SIM118 - a mapping-like object
            if name == "content-length":  # the body's real length is set below
                continue
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

    def _serve(self, environ: dict[str, Any], proto: Any, loop: asyncio.AbstractEventLoop,
               closing: bool) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """Run the WSGI app on a request thread.  A whole answer is returned for the
        event loop to send; a streamed one is sent from this same thread (what the
        app iterates, a store's cursor for one, may not move to another thread)."""
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
            iterator = iter(result)
            first = next(iterator, None)  # the app may start the response only now
            if first is None:
                return started[0], started[1], b""
            second = next(iterator, None)
            if second is None and len(first) <= CHUNK_BYTES:
                return started[0], started[1], first
            transport = asyncio.run_coroutine_threadsafe(
                _start_stream(proto, started[0], started[1]), loop).result()
            rest = _chain(first, second, iterator)
            try:
                for chunk in _rechunk(rest, CHUNK_BYTES):
                    asyncio.run_coroutine_threadsafe(
                        _send(transport, chunk, self.body_timeout), loop).result()
            except TimeoutError:
                log.warning("a client took no part of its answer for %g s: cut",
                            self.body_timeout)
            except Exception as error:  # the client went away, or the body failed
                log.warning("a streamed answer stopped: %s: %s", type(error).__name__, error)
            return None
        finally:
            _close(result)


async def _start_stream(proto: Any, status: int, headers: list[tuple[str, str]]) -> Any:
    return proto.response_stream(status, headers)


def _latin1(text: str) -> str:
    """Text the server decoded as UTF-8, as WSGI wants it: its bytes as latin-1."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


async def _send(transport: Any, chunk: bytes, deadline: float) -> None:
    # granian's send_bytes gives an awaitable, not a coroutine: wrap it in one.
    async with asyncio.timeout(deadline):
        await transport.send_bytes(chunk)


def _chain(first: bytes, second: bytes | None, rest: Any) -> Iterable[bytes]:
    yield first
    if second is not None:
        yield second
        yield from rest


def _rechunk(parts: Iterable[bytes], size: int) -> Iterable[bytes]:
    """The same bytes in pieces of at most ``size`` (none empty)."""
    for part in parts:
        for start in range(0, len(part), size):
            yield part[start:start + size]


def _close(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _no_write(data: bytes) -> None:
    raise RuntimeError("the write() callable of start_response is not supported")
