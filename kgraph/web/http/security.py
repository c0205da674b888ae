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
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from ...messages import message
from .errors import ApiError
from .front import BODY_PROBLEM
from .pages import CONTENT_SECURITY_POLICY

bp = Blueprint("security", __name__)

REFERRER_POLICY = "strict-origin-when-cross-origin"

CONTENT_ENCODING = message("error.content_encoding")
TRANSFER_ENCODING = message("error.transfer_encoding")
#: Why a body was not read (:mod:`kgraph.web.http.front`), and the answer's status.
BODY_PROBLEMS = {
    "timeout": (408, message("body.timeout")),
    "too-large": (413, message("body.too-large")),
    "busy": (503, message("body.busy")),
    "framing": (400, message("body.framing")),
    "unreadable": (400, message("body.unreadable")),
}


@bp.before_app_request
def _body_problems() -> None:
    """A body the server could not have in time or in size (:mod:`kgraph.web.http.host`)."""
    problem = request.environ.get(BODY_PROBLEM)
    if problem:
        from ..state import current_state

        config = current_state().config
        status, message = BODY_PROBLEMS[problem]
        raise ApiError(
            status,
            message.format(seconds=f"{config.body_timeout:g}",
                           limit=max(config.max_body_bytes, config.max_upload_bytes)),
            headers={"Retry-After": "1"} if status == 503 else {},
        )


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
