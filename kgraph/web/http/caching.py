"""Conditional GET for every page and every RDF answer, in one place.

Every answer to a ``GET`` depends on the served data's version and on what the
request asked: its path and query, ``Accept``, ``Accept-Language`` and the language
cookie.  So its entity tag is a hash of exactly those (and of kgraph's and the
ontology's versions), and is known before any work is done: a client (or a cache)
that sends the tag back in ``If-None-Match`` gets ``304 Not Modified`` at once,
without the page being built or the query run.  ``Last-Modified`` is when the
data last changed, and Werkzeug's :meth:`~werkzeug.wrappers.Response.make_conditional`
answers ``If-Modified-Since``.  The tag is weak (RFC 9110 8.8.1): the same request
gets the same content, not promised byte for byte (a proxy may compress it).

Answers that set their own validators (the dumps, files) keep them; answers that are
per-user or live (``/health``, ``/staff``), SPARQL query answers, and any answer
marked ``no-store`` or ``private`` get none.  Every tagged answer says
``Cache-Control: no-cache``: a cache may keep it but must ask again, so a new
snapshot is seen at once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask import Flask, Response, request

from ... import __version__
from ...iris import ONTOLOGY_VERSION
from .language import COOKIE

#: Paths whose answers are per-user or live: never tagged.
UNTAGGED = ("/health", "/staff")
#: The request headers the tag depends on: what an early 304 says it varies on (the
#: 200 says what it really varies on; a cache that keys on less revalidates with a
#: tag that may not match, and gets a 200: slower, never wrong).
VARY = ("Accept", "Accept-Language", "Cookie")


def install(app: Flask) -> None:
    app.before_request(_answer_unchanged)
    app.after_request(_tag)


def _taggable() -> bool:
    """A GET of a page or an RDF document.  Query answers are left out: a query may
    ask for NOW(), RAND() or fresh blank nodes, which the data version does not fix."""
    return (request.method in ("GET", "HEAD") and not request.path.startswith(UNTAGGED)
            and "query" not in request.args)


def _version() -> tuple[str, datetime] | None:
    from ..state import current_state

    try:
        tag, modified = current_state().backend.version()
    except Exception:  # no data to serve: the answer will say so, untagged
        return None
    return tag, datetime.fromtimestamp(int(modified), tz=UTC)


def request_tag(data_version: str) -> str:
    """The entity tag of what this request asks for, for ``data_version``."""
    parts = (__version__, ONTOLOGY_VERSION, data_version, request.full_path,
             request.headers.get("Accept", ""), request.headers.get("Accept-Language", ""),
             request.cookies.get(COOKIE, ""))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _answer_unchanged() -> Response | None:
    if not _taggable() or not request.if_none_match or request.if_none_match.star_tag:
        return None  # "*" matches whatever the answer is: the answer decides
    version = _version()
    if version is None:
        return None
    tag = request_tag(version[0])
    if not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    response.last_modified = version[1]
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(VARY)
    return response


def _tag(response: Response) -> Response:
    if (response.status_code != 200 or not _taggable() or response.get_etag()[0]
            or response.cache_control.no_store or response.cache_control.private):
        return response
    version = _version()
    if version is None:
        return response
    response.set_etag(request_tag(version[0]), weak=True)
    if response.last_modified is None:
        response.last_modified = version[1]
    if not response.cache_control.max_age:
        response.cache_control.no_cache = True
    return response.make_conditional(request)
