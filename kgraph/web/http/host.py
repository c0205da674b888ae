"""The app never sees the ``Host`` a client sent.

Every request is made to look addressed to the configured base (scheme, host and
port), so that no absolute link (a redirect, ``sd:endpoint``, the sitemap,
robots.txt, JSON-LD on the pages) can reflect a header an attacker chose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]



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
