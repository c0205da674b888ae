"""What stands between the HTTP server and the Flask app: the base, and the body's deadline.

:class:`ConfiguredHost`
    The app never sees the ``Host`` a client sent: every request is made to look
    addressed to the configured base, so that no absolute link (a redirect,
    ``sd:endpoint``, the sitemap, robots.txt, JSON-LD on the pages) can reflect a
    header an attacker chose.
:class:`BodyDeadline`
    A request's body must arrive within ``--body-timeout`` seconds as a whole, not
    per read.  The HTTP server (granian) reads the body only when the app asks,
    and a read blocks until the bytes come; so the body is read on a helper thread
    while the request's thread waits at most until the deadline, then answers
    ``408`` (``Connection: close``) and goes on to other requests.  The app reads
    the body from memory.  A body larger than the largest limit is not read at all
    (``413``).  Request heads have their own deadline in the server
    (``--header-timeout``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

#: Set in the environ when the body could not be had: the app answers it.
BODY_PROBLEM = "kgraph.body_problem"


class ConfiguredHost:
    """Make every request look addressed to ``base`` (scheme, host and port)."""

    def __init__(self, app: WSGIApp, base: str) -> None:
        self.app = app
        parts = urlsplit(base)
        self.scheme = parts.scheme or "http"
        self.host = parts.netloc
        self.server_name = parts.hostname or "localhost"
        self.server_port = str(parts.port or (443 if self.scheme == "https" else 80))

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ["HTTP_HOST"] = self.host
        environ["SERVER_NAME"] = self.server_name
        environ["SERVER_PORT"] = self.server_port
        environ["wsgi.url_scheme"] = self.scheme
        for forwarded in ("HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
                          "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED"):
            environ.pop(forwarded, None)
        return self.app(environ, start_response)


class BodyDeadline:
    """Read each request body within a deadline, off the request's thread."""

    #: Helper threads still waiting on a stalled client, at most; beyond, a body
    #: is refused at once (503) rather than given a thread.
    MAX_LINGERING = 256

    def __init__(self, app: WSGIApp, timeout: float, limit: int) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self._lingering = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length.strip() in ("", "0") and not chunked:
            return self.app(environ, start_response)
        if length.strip().isdigit() and int(length) > self.limit:
            return self._instead(environ, start_response, "too-large")
        with self._lock:
            if self._lingering >= self.MAX_LINGERING:
                problem = "busy"
            else:
                self._lingering += 1
                problem = ""
        if problem:
            return self._instead(environ, start_response, problem)
        result: dict[str, Any] = {}
        done = threading.Event()
        source = environ["wsgi.input"]

        def read() -> None:
            chunks, size = [], 0
            try:
                while size <= self.limit:
                    chunk = source.read(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                result["body"] = b"".join(chunks)
            except Exception as error:
                result["error"] = error
            finally:
                with self._lock:
                    self._lingering -= 1
                done.set()

        threading.Thread(target=read, name="body-reader", daemon=True).start()
        if not done.wait(self.timeout):
            return self._instead(environ, start_response, "timeout")
        if "error" in result:
            return self._instead(environ, start_response, "unreadable")
        body = result["body"]
        if len(body) > self.limit:
            return self._instead(environ, start_response, "too-large")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = True
        return self.app(environ, start_response)

    def _instead(self, environ: Environ, start_response: StartResponse,
                 problem: str) -> Iterable[bytes]:
        """Let the app answer the problem (in the client's language), body unread."""
        environ[BODY_PROBLEM] = problem
        environ["wsgi.input"] = io.BytesIO(b"")
        environ["CONTENT_LENGTH"] = "0"
        environ.pop("HTTP_TRANSFER_ENCODING", None)

        def closing(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            if problem in ("timeout", "too-large", "unreadable"):
                headers = [h for h in headers if h[0].lower() != "connection"]
                headers.append(("Connection", "close"))
            return start_response(status, headers, *args)

        return self.app(environ, closing)
