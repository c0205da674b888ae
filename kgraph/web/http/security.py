"""Protections every answer gets, whichever blueprint made it.

* ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` on every response,
  not only on the HTML pages of :func:`kgraph.web.http.pages.html_page`: plain-text error
  answers echo what the client sent, and must never be sniffed as HTML.
* The strict Content-Security-Policy on any HTML answer that has none (Flask's own
  ``OPTIONS`` answer, an HTML error page).
* A request body in a content coding (``Content-Encoding: gzip``) is refused with
  ``415``: no endpoint decodes one, and reading compressed bytes as the query or the
  upload would answer about something the client did not send.  A transfer coding
  other than ``chunked`` is refused with ``400``.
* Each path takes the body it needs and no more (:func:`body_limit`, used by the
  front before a byte is read and by Flask in-process): ``/sparql`` a query or
  update, ``/validation`` and the staff area an upload, every other path none
  (unread; those paths are read-only, so ``405``).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...config import Config
from ...messages import message
from .errors import ApiError
from .front import BODY_PROBLEM
from .pages import CONTENT_SECURITY_POLICY

bp = Blueprint("security", __name__)

REFERRER_POLICY = "strict-origin-when-cross-origin"

CONTENT_ENCODING = message("error.content_encoding")
TRANSFER_ENCODING = message("error.transfer_encoding")
NO_BODY = message("body.none")
#: Why a body was not read (:mod:`kgraph.web.http.front`), and the answer's status.
BODY_PROBLEMS = {
    "timeout": (408, message("body.timeout")),
    "too-large": (413, message("body.too-large")),
    "busy": (503, message("body.busy")),
    "framing": (400, message("body.framing")),
    "header": (431, message("body.header")),
    "unreadable": (400, message("body.unreadable")),
}


#: Methods whose request body means something to kgraph.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


#: The largest URL-encoded form an upload path takes (a sign-in, a button): forms
#: are parsed in the web process, one object per field.
MAX_FORM_BYTES = 64 * 1024


def body_limit(config: Config, method: str, path: str, content_type: str = "") -> int:
    """The largest body a request may send, in bytes: the one rule for the front
    (:mod:`kgraph.web.http.front`) and for Flask."""
    if method.upper() not in BODY_METHODS:
        return 0
    if path == "/sparql":
        return config.max_body_bytes
    if path == "/validation" or path.startswith("/staff/"):
        if content_type.split(";", 1)[0].strip().lower() == FORM:
            return min(MAX_FORM_BYTES, config.max_upload_bytes)
        return config.max_upload_bytes
    return 0


FORM = "application/x-www-form-urlencoded"


@bp.before_app_request
def _body_problems() -> None:
    """A body the server could not have in time or in size (:mod:`kgraph.web.http.front`);
    in-process (no front), the same limit through Flask."""
    from ..state import current_state

    config = current_state().config
    limit = body_limit(config, request.method, request.path, request.content_type or "")
    problem = request.environ.get(BODY_PROBLEM)
    if not problem and (request.content_length or 0) > limit:
        problem = "too-large"
    if problem == "too-large" and limit == 0:
        # Every path that takes no body is read-only: the method is what is wrong.
        if request.routing_exception is not None:
            raise request.routing_exception
        raise ApiError(405, NO_BODY.format(method=request.method, path=request.path),
                       headers={"Allow": "GET, HEAD, OPTIONS"})
    if problem:
        status, message = BODY_PROBLEMS[problem]
        raise ApiError(
            status,
            message.format(seconds=f"{config.body_timeout:g}", limit=limit),
            headers={"Retry-After": "1"} if status == 503 else {},
        )
    request.max_content_length = limit
    # A form field may be as large as the body may (the body limit bounds it): a
    # field that is not wanted is then named by the page, not refused as "too large".
    request.max_form_memory_size = limit


@bp.before_app_request
def _refuse_encoded_bodies() -> None:
    coding = request.headers.get("Content-Encoding", "").strip()
    if coding and coding.lower() != "identity":
        raise ApiError(
            415, CONTENT_ENCODING.format(coding=coding), headers={"Accept-Encoding": "identity"}
        )
    transfer = request.headers.get("Transfer-Encoding", "").strip()
    if transfer and transfer.lower().replace(" ", "") != "chunked":
        raise ApiError(400, TRANSFER_ENCODING.format(coding=transfer))


@bp.after_app_request
def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
