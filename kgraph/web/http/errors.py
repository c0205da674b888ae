"""Errors as clients see them: a status, a short message in their language, no trace.

Every error answer is plain text (``text/plain; charset=utf-8``) in English or
Japanese by ``Accept-Language``, followed by a language-neutral detail when there is
one (a parser message with its line and column, the offending parameter).  Nothing
of a Python traceback ever reaches a client: an unexpected exception becomes a 500
whose body says only that, and the log gets the traceback together with the request
and the query text, as every 5xx does.

Blueprints raise :class:`ApiError` (or any Werkzeug ``HTTPException``); a blueprint
that wants HTML error pages registers its own handler, which Flask prefers.
"""

from __future__ import annotations

import logging

from flask import Flask, Request, Response, request
from werkzeug.exceptions import HTTPException

from ...engine.remote import BackendError, BackendTimeout, BackendUnavailable
from ...messages import Group, Message, message
from .accesslog import escape

log = logging.getLogger("kgraph.errors")

class ApiError(HTTPException):
    """An error with a bilingual message and an optional language-neutral detail.

    ``cause`` is for the server log only (a 5xx's internals never reach the client);
    the error handler logs it once, with the query.
    """

    def __init__(
        self,
        code: int,
        message: Message,
        detail: str = "",
        headers: dict[str, str] | None = None,
        cause: str = "",
    ) -> None:
        super().__init__(description=message.en + (f"\n{detail}" if detail else ""))
        self.code = code
        self.message = message
        self.detail = detail
        self.extra_headers = dict(headers or {})
        self.cause = cause


#: Messages for statuses raised by Flask/Werkzeug themselves.
#: Messages for statuses raised by Flask/Werkzeug themselves.
STATUS_MESSAGES: dict[int, Message] = {
    int(key): message(f"status.{key}") for key in Group("status") if key.isdigit()
}


def language(req: Request | None = None) -> str:
    """The reader's language, by the one rule (:func:`kgraph.messages.choose`)."""
    from .language import get_lang

    return get_lang()


def message_for_status(code: int) -> Message:
    """A message for a status no handler named (its standard reason phrase)."""
    return message("status.other").format(code=code)


def error_response(code: int, message: Message, detail: str = "") -> Response:
    """A plain-text error answer in the client's language."""
    body = message(language())
    if detail:
        body += "\n" + detail
    response = Response(body + "\n", status=code, mimetype="text/plain")
    response.headers["Content-Language"] = language()
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def install(app: Flask) -> None:
    """Register the handlers on the application."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(BackendError, handle_backend_error)
    app.register_error_handler(Exception, handle_unexpected)


def handle_backend_error(error: BackendError) -> Response:
    """A remote engine that failed (502) or is down (503), on whatever page."""
    from ..work import MSG

    if isinstance(error, BackendUnavailable | BackendTimeout):
        return handle_http_error(ApiError(503, MSG["backend_down"], cause=str(error),
                                          headers={"Retry-After": "10"}))
    return handle_http_error(ApiError(502, MSG["backend_failed"], cause=str(error)))


def handle_http_error(error: HTTPException) -> Response:
    code = error.code or 500
    if isinstance(error, ApiError):
        response = error_response(code, error.message, error.detail)
        response.headers.update(error.extra_headers)
    else:
        message = STATUS_MESSAGES.get(code) or message_for_status(code)
        detail = error.description if error.description and code != 500 else ""
        if detail and detail.strip() == message.en:
            detail = ""
        response = error_response(code, message, _english_detail(error, detail))
        for name, value in error.get_headers():
            if name.lower() == "vary":  # added to the error page's own
                response.vary.update(v.strip() for v in value.split(","))
            elif name.lower() != "content-type":
                response.headers[name] = value
    if code >= 500:
        cause = getattr(error, "cause", "") or error.description
        log.error("%s %s -> %d: %s; %s", escape(request.method), escape(request.path), code,
                  cause, query_for_log())
    return response


def _english_detail(error: HTTPException, detail: str) -> str:
    # Werkzeug's default descriptions are long English prose; keep them as detail
    # only when a handler replaced them with something specific.
    default = type(error).description
    return "" if detail == default else detail


#: The body could not be read as the request framed it (a broken chunked encoding, a
#: client that stopped sending): the client's fault, answered 400 (408 for a timeout).
BODY_UNREADABLE = message("error.body_unreadable")


def _body_unreadable(error: Exception) -> int | None:
    """The status for an error raised while reading the body, else ``None``."""
    if isinstance(error, TimeoutError):
        return 408
    module = type(error).__module__
    if isinstance(error, OSError) and module.startswith("werkzeug"):
        return 400
    return None


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):  # pragma: no cover - routed above
        return handle_http_error(error)
    status = _body_unreadable(error)
    if status is not None:
        log.info("%s %s -> %d: %s", escape(request.method), escape(request.path), status,
                 type(error).__name__)
        return error_response(status, BODY_UNREADABLE)
    log.exception("%s %s -> 500; %s", escape(request.method), escape(request.path),
                  query_for_log())
    return error_response(500, STATUS_MESSAGES[500])


def query_for_log(limit: int = 4000) -> str:
    """The request's query or update text (for 5xx log lines), shortened."""
    text = getattr(request, "kgraph_operation_text", None)
    if text is None:
        text = request.args.get("query") or request.args.get("update") or ""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"query={text!r}" if text else "query=<none>"
