"""The SPARQL 1.1 Protocol at ``/sparql``: queries, updates, graph store reads, description.

What a request can be (SPARQL 1.1 Protocol, Graph Store Protocol, Service Description):

=========================================================  ==============================
``GET ?query=`` / ``POST`` form ``query=`` / ``POST``       a query (every form), with
``application/sparql-query``                                ``default-graph-uri`` and
                                                            ``named-graph-uri``
``POST`` form ``update=`` / ``application/sparql-update``   an update (operator token),
                                                            ``using-graph-uri`` and
                                                            ``using-named-graph-uri``
``GET``/``HEAD ?default`` or ``?graph=IRI``                 a graph (Graph Store Protocol,
                                                            read side; also at
                                                            ``/rdf-graph-store``)
``GET`` with none of these                                  the service description
=========================================================  ==============================

Extra parameters: ``format`` (``json``, ``xml``, ``csv``, ``tsv``, ``turtle``,
``ntriples``, ``jsonld``, ``rdfxml`` or a media type) overrides ``Accept``;
``timeout`` (seconds) asks for a shorter budget than ``--query-timeout``.

Relative IRIs in queries and updates resolve against the configured instance base,
and the project's prefixes (``kgo:``, ``rdfs:``, ``dcterms:`` ...) are predeclared.
The default graph of a query is the union of all graphs unless the query has
``FROM``/``FROM NAMED`` or the request gives ``default-graph-uri``/``named-graph-uri``.
An update sees the store's own default graph (as Fuseki's union-default setups do).

Answers that are not results (errors, refusals) are plain text in English or
Japanese (see :mod:`kgraph.web.http.errors`).  A query that overruns its budget is
answered ``503`` (as Fuseki does for a cancelled query); a result cut by the row cap
carries ``X-SPARQL-MaxRows``.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response, request

from ...engine.results import Dataset, Outcome
from ...iris import PREFIXES
from ...messages import Group, Message, message
from .. import work
from ..http import errors
from ..http.conneg import (
    FORM,
    RDF_TYPES,
    RESULT_TYPES,
    NotAcceptable,
    choose_for_header,
    choose_format,
)
from ..http.errors import ApiError
from ..state import AppState, current_state

bp = Blueprint("sparql", __name__)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
ENDPOINT = "/sparql"
GRAPH_STORE = "/rdf-graph-store"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
ALLOWED = "GET, HEAD, POST, OPTIONS"
#: The graph store path is read-only.
READ_ONLY = "GET, HEAD, OPTIONS"
MAX_ROWS_HEADER = "X-SPARQL-MaxRows"

MSG = Group("sparql")


def _msg(key: str, **values: object) -> Message:
    message = MSG[key]
    return message.format(**values) if values else message


# ---------------------------------------------------------------------------
# CORS for the protocol
# ---------------------------------------------------------------------------


def _allowed_methods() -> str:
    """What this path really accepts (the routes take every method so as to answer
    the others 405 with a message)."""
    return ALLOWED if request.url_rule and request.url_rule.rule == ENDPOINT else READ_ONLY


@bp.after_request
def _cors(response: Response) -> Response:
    """CORS for the protocol's GET and POST (origins from ``--cors-origins``); the
    ``Allow`` of an ``OPTIONS`` answer names the methods the path accepts."""
    if request.method == "OPTIONS":
        response.headers["Allow"] = _allowed_methods()
    origin = request.headers.get("Origin")
    if not origin:
        return response
    allowed = current_state().config.cors_origins.replace(",", " ").split()
    if "*" in allowed:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    response.headers["Access-Control-Expose-Headers"] = f"{MAX_ROWS_HEADER}, Content-Length"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = _allowed_methods()
        response.headers["Access-Control-Allow-Headers"] = (
            "Accept, Accept-Language, Content-Type, Authorization"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


# ---------------------------------------------------------------------------
# Reading the request
# ---------------------------------------------------------------------------


@dataclass
class Params:
    """Every parameter of a request, URL and form body together, in order."""

    items: list[tuple[str, str]] = field(default_factory=list)
    #: How many of ``items`` come from the URL (the form's follow).
    from_url: int = -1

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise ApiError(400, _msg("repeated", name=name))
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.items)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(
            400, _msg("charset"), f"invalid UTF-8 at byte {error.start} of the request"
        ) from None


def _parse_qs(data: bytes | str) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs, as :func:`urllib.parse.parse_qsl`.

    Same result as ``parse_qsl(text, keep_blank_values=True, encoding="utf-8",
    errors="strict")``, about ten times faster on SPARQL forms: ``parse_qsl`` decodes
    percent escapes one by one in Python, and a form-encoded query is mostly escapes
    (every space, bracket and Japanese character).  Here a whole value is decoded
    at once in C; invalid UTF-8 is refused as before.
    """
    text = _decode(data) if isinstance(data, bytes) else data
    pairs = []
    for field_ in text.split("&"):
        if not field_:
            continue
        name, _, value = field_.partition("=")
        try:
            pairs.append((_unquote_plus(name), _unquote_plus(value)))
        except UnicodeDecodeError as error:
            raise ApiError(
                400, _msg("charset"), f"a percent-encoded value is not UTF-8 ({error.reason})"
            ) from None
    return pairs


_ESCAPE = re.compile(rb"%(?=[0-9A-Fa-f]{2})")


def _unquote_plus(value: str) -> str:
    """``urllib.parse.unquote_plus(value, errors="strict")``, decoded in C.

    Every ``%XX`` becomes ``\\xXX`` (the text's own backslashes doubled first) and
    :func:`codecs.escape_decode` turns the whole text into bytes at once.  A ``%``
    that starts no valid escape stays as it is, as in ``unquote``: the fast path
    then fails and only the valid escapes are rewritten.
    """
    value = value.replace("+", " ")
    if "%" not in value:
        return value
    data = value.encode("utf-8")
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    try:
        raw = codecs.escape_decode(data.replace(b"%", b"\\x"))[0]
    except ValueError:
        raw = codecs.escape_decode(_ESCAPE.sub(rb"\\x", data))[0]
    return raw.decode("utf-8")


def _check_charset() -> None:
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ApiError(400, _msg("charset"), f"charset={charset} is not supported")


def _body() -> bytes:
    """The request's body (its size was checked: :func:`kgraph.web.http.security.body_limit`)."""
    return request.get_data(cache=True)


@dataclass
class Operation:
    """What a protocol request asks for."""

    kind: str  # "query", "update", "graph", "describe"
    text: str = ""
    params: Params = field(default_factory=Params)


def read_operation() -> Operation:
    """Classify the request and pull out its query or update, strictly."""
    params = Params(_parse_qs(request.query_string))
    params.from_url = len(params.items)
    method = request.method
    if method in ("PUT", "DELETE", "PATCH"):
        raise ApiError(405, _msg("method"), headers={"Allow": ALLOWED})
    body_text: str | None = None
    body_kind: str | None = None
    if method == "POST":
        mimetype = request.mimetype
        if mimetype == FORM:
            _check_charset()
            params.items += _parse_qs(_body())
        elif mimetype in (QUERY_TYPE, UPDATE_TYPE):
            _check_charset()
            body_text = _decode(_body())
            body_kind = "query" if mimetype == QUERY_TYPE else "update"
        elif params.has("graph") or params.has("default"):
            raise ApiError(405, _msg("method"), headers={"Allow": READ_ONLY})
        else:
            raise ApiError(415, _msg("media_type"), f"Content-Type: {mimetype or '(none)'}")
    queries = params.all("query") + ([body_text] if body_kind == "query" else [])
    updates = params.all("update") + ([body_text] if body_kind == "update" else [])
    if len(queries) > 1:
        raise ApiError(400, _msg("repeated", name="query"))
    if len(updates) > 1:
        raise ApiError(400, _msg("repeated", name="update"))
    if queries and updates:
        raise ApiError(400, _msg("both"))
    if updates:
        if method != "POST":
            raise ApiError(405, _msg("update_get"), headers={"Allow": "POST"})
        return Operation("update", updates[0], params)
    if queries:
        return Operation("query", queries[0], params)
    if method == "POST":
        raise ApiError(400, _msg("missing"))
    if params.has("graph") or params.has("default"):
        return Operation("graph", "", params)
    return Operation("describe", "", params)


def _iris(params: Params, name: str) -> list[str]:
    values = params.all(name)
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise ApiError(400, _msg("iri", name=name, value=value)) from None
    return values


def _budget(params: Params, state: AppState) -> float:
    limit = state.config.query_timeout
    raw = params.one("timeout")
    if raw is None or raw == "":
        return limit
    try:
        asked = float(raw)
    except ValueError:
        raise ApiError(400, _msg("timeout"), f"timeout={raw}") from None
    if not math.isfinite(asked) or asked <= 0:
        raise ApiError(400, _msg("timeout"), f"timeout={raw}")
    return min(asked, limit)


# ---------------------------------------------------------------------------
# The endpoint
# ---------------------------------------------------------------------------


@bp.route(ENDPOINT, methods=ALL_METHODS)
def endpoint() -> Response:
    operation = read_operation()
    request.kgraph_operation_text = operation.text  # type: ignore[attr-defined]
    if operation.kind == "query":
        return run_query(operation)
    if operation.kind == "update":
        from .update import run_update

        return run_update(operation)
    if operation.kind == "graph":
        from .graphstore import serve_graph

        return serve_graph(operation.params)
    from ..pages.query_page import endpoint_page, wants_endpoint_page

    if wants_endpoint_page():  # a browser: the query page, not the description
        return endpoint_page()
    from .service_description import describe

    return describe()


@bp.route(GRAPH_STORE, methods=ALL_METHODS)
def graph_store() -> Response:
    """The Graph Store Protocol on its own path (read side)."""
    from .graphstore import serve_graph

    if request.method not in ("GET", "HEAD"):
        raise ApiError(405, _msg("method"), headers={"Allow": READ_ONLY})
    return serve_graph(Params(_parse_qs(request.query_string)))


def run_query(operation: Operation) -> Response:
    """Hand a query to the backend: its text is read (checked, analysed) only there,
    in a sandbox, never here (:mod:`kgraph.engine.checks`)."""
    state = current_state()
    config = state.config
    params = operation.params
    if not operation.text.strip():
        raise ApiError(400, _msg("empty", kind="query", kind_ja="クエリ"))
    dataset = Dataset(_iris(params, "default-graph-uri"), _iris(params, "named-graph-uri"))
    budget = _budget(params, state)
    result_type, graph_type = _negotiate_both(params)
    message = {
        "text": operation.text,
        "default_graphs": dataset.default_graphs,
        "named_graphs": dataset.named_graphs,
        "result_type": result_type,
        "graph_type": graph_type,
        "max_rows": config.max_rows,
        "max_bytes": config.max_result_bytes,
        "base_iri": config.base,
        "prefixes": PREFIXES,
        "allowed_hosts": config.allowed_hosts,
    }
    answer = work.query(state, message, budget)
    return outcome_response(answer.outcome, config.max_rows, answer.release)


def _format_param(params: Params) -> str | None:
    """``format`` as :func:`~kgraph.web.http.conneg.negotiate` reads it: the URL's first
    value, else (when empty or absent) the form's first value."""
    split = params.from_url if params.from_url >= 0 else len(params.items)
    in_url = next((v for k, v in params.items[:split] if k == "format"), None)
    if in_url:
        return in_url
    if request.mimetype == FORM:
        return next((v for k, v in params.items[split:] if k == "format"), None)
    return None


def _negotiate(params: Params, offers: Sequence[str]) -> str:
    """:func:`~kgraph.web.http.conneg.negotiate` on parameters already read (no second parse)."""
    requested = _format_param(params) if params.has("format") else None
    if requested:
        return choose_format(requested, offers)
    return choose_for_header(request.headers.get("Accept", ""), offers)


def _negotiate_both(params: Params) -> tuple[str | None, str | None]:
    """The result format for SELECT/ASK and the RDF format for CONSTRUCT/DESCRIBE
    (the form is known only once the engine has read the query); 406 when the
    client accepts neither."""
    choices: list[str | None] = []
    for offers in (RESULT_TYPES, RDF_TYPES):
        try:
            choices.append(_negotiate(params, offers))
        except NotAcceptable:
            choices.append(None)
    if choices == [None, None]:
        raise NotAcceptable([*RESULT_TYPES, *RDF_TYPES], request.headers.get("Accept", ""))
    return choices[0], choices[1]


def outcome_response(outcome: Outcome, max_rows: int,
                     release: Callable[[], None] | None = None) -> Response:
    """Turn a backend's outcome into a response or an error.  ``release`` is called
    once the answer has been sent (or refused): it frees the client's slot."""
    try:
        response = _outcome_response(outcome, max_rows)
    except BaseException:
        if release is not None:
            release()
        raise
    if release is not None:
        response.call_on_close(release)
    return response


def _outcome_response(outcome: Outcome, max_rows: int) -> Response:
    if outcome.status == 200:
        response = Response(outcome.body, status=200)
        response.headers["Content-Type"] = f"{outcome.media_type}; charset=utf-8"
        response.vary.add("Accept")
        if outcome.truncated:
            response.headers[MAX_ROWS_HEADER] = str(max_rows)
        return response
    if outcome.error == "refused":
        raise ApiError(outcome.status, message(outcome.message).format(**outcome.values),
                       outcome.detail)
    if outcome.error == "syntax":
        raise ApiError(400, _msg("syntax"), outcome.detail)
    if outcome.error == "not-acceptable":
        offers = RDF_TYPES if outcome.form == "CONSTRUCT" else RESULT_TYPES
        raise NotAcceptable(offers, request.headers.get("Accept", "*/*"))
    if outcome.error in ("remote-refused", "remote-unavailable"):
        raise ApiError(400, work.MSG["remote_unavailable"]
                       if outcome.error == "remote-unavailable" else _msg("remote_refused"))
    if outcome.status < 500:
        raise ApiError(outcome.status, _msg("query_error"), outcome.detail)
    if outcome.error == "remote":
        raise ApiError(502, _msg("remote_failed"), outcome.detail)
    raise ApiError(500, errors.STATUS_MESSAGES[500],
                   cause=f"query failed in the sandbox: {outcome.detail}")
