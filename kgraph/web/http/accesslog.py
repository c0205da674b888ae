"""One access-log line per request: client, request line, status, size, duration.

Written to the ``kgraph.access`` logger (stderr by default), in the shape of the
common log format plus the duration::

    127.0.0.1 "GET /sparql?query=ASK%20%7B%7D HTTP/1.1" 200 34 1.8ms "curl/8.5.0"

granian's own access log is off, so that each request is logged once.  Long query
strings and User-Agents are shortened, and control characters and quotes that a client put in the
path or its User-Agent are escaped (``\\n``,
``\\x00``, ``\\"``), so that a request cannot forge a log line.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

log = logging.getLogger("kgraph.access")

#: Longest request target and User-Agent written (the rest is "...").
MAX_TARGET = 300
MAX_AGENT = 200


_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029"\\]')
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def escape(text: str) -> str:
    """``text`` safe for one log line: control characters, quotes and backslashes escaped."""
    return _UNSAFE.sub(lambda m: _NAMED.get(m.group()) or _code(ord(m.group())), text)


def _code(point: int) -> str:
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


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
    target = _cut(target, MAX_TARGET)
    size = response.calculate_content_length()
    if size is None:
        size = response.content_length
    log.info(
        '%s "%s %s %s" %d %s %.1fms "%s"',
        request.remote_addr or "-",
        escape(request.method),
        escape(target),
        escape(request.environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        response.status_code,
        "-" if size is None else size,
        duration,
        escape(_cut(request.user_agent.string or "-", MAX_AGENT)),
    )
    return response


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
