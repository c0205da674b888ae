"""Protections every answer gets, whichever blueprint made it.

* ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy`` on every response,
  not only on the HTML pages of :func:`kgraph.web.pages.html_page`: plain-text error
  answers echo what the client sent, and must never be sniffed as HTML.
* The strict Content-Security-Policy on any HTML answer that has none (Flask's own
  ``OPTIONS`` answer, an HTML error page).
* A request body in a content coding (``Content-Encoding: gzip``) is refused with
  ``415``: no endpoint decodes one, and reading compressed bytes as the query or the
  upload would answer about something the client did not send.  A transfer coding
  other than ``chunked`` (which gunicorn would ignore) is refused with ``400``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from .errors import ApiError, Message
from .pages import CONTENT_SECURITY_POLICY

bp = Blueprint("security", __name__)

REFERRER_POLICY = "strict-origin-when-cross-origin"

CONTENT_ENCODING = Message(
    "Request bodies must not be compressed (Content-Encoding: {coding}); send them as they are.",
    "リクエスト本文を圧縮しないでください（Content-Encoding: {coding}）。そのまま送ってください。",
)


TRANSFER_ENCODING = Message(
    "Transfer-Encoding: {coding} is not supported; send the body as is or chunked.",
    "Transfer-Encoding: {coding} には対応していません。本文はそのままか chunked で送ってください。",
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
