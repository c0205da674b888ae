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

from .errors import ApiError, Message
from .front import BODY_PROBLEM
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


BODY_PROBLEMS = {
    "timeout": (408, Message(
        "The request body did not arrive within the time allowed ({seconds} s); send it "
        "again, faster.",
        "リクエスト本文が制限時間（{seconds} 秒）内に届きませんでした。もう一度送ってください。",
    )),
    "too-large": (413, Message(
        "The request body is larger than this server accepts ({limit} bytes).",
        "リクエスト本文がこのサーバーの上限（{limit} バイト）を超えています。",
    )),
    "busy": (503, Message(
        "Too many requests are sending bodies slowly right now; try again shortly.",
        "本文の送信が遅いリクエストが多すぎます。しばらくしてから再試行してください。",
    )),
    "framing": (400, Message(
        "A request may give Content-Length or Transfer-Encoding: chunked, not both.",
        "Content-Length と Transfer-Encoding: chunked は、どちらか一方だけを指定してください。",
    )),
    "unreadable": (400, Message(
        "The request body could not be read (broken framing, or the client stopped sending).",
        "リクエスト本文を読み取れませんでした（転送形式の誤り、または送信の中断）。",
    )),
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
