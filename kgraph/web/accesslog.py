"""One access-log line per request: client, request line, status, size, duration.

Written to the ``kgraph.access`` logger (stderr by default), in the shape of the
common log format plus the duration::

    127.0.0.1 "GET /sparql?query=ASK%20%7B%7D HTTP/1.1" 200 34 1.8ms "curl/8.5.0"

gunicorn's own access log is off, so that each request is logged once, whichever
server runs the app.  Long query strings are shortened.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("kgraph.access")

MAX_TARGET = 300


def install(app: Flask) -> None:
    """Register the hooks (once per application)."""
    if app.extensions.get("kgraph.accesslog"):
        return
    app.extensions["kgraph.accesslog"] = True
    app.before_request(_start)
    app.after_request(_log)


def _start() -> None:
    g.kgraph_started = time.perf_counter()


def _log(response: Response) -> Response:
    started = g.get("kgraph_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    target = request.full_path if request.query_string else request.path
    if len(target) > MAX_TARGET:
        target = target[:MAX_TARGET] + "..."
    size = response.calculate_content_length()
    if size is None:
        size = response.content_length
    log.info(
        '%s "%s %s %s" %d %s %.1fms "%s"',
        request.remote_addr or "-",
        request.method,
        target,
        request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        response.status_code,
        "-" if size is None else size,
        duration,
        request.user_agent.string or "-",
    )
    return response
