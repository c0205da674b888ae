"""SPARQL Update over the protocol: operator token, dataset parameters, validation gate.

Updates are off unless the operator configured a token (``KGRAPH_UPDATE_TOKEN``);
then a request must send ``Authorization: Bearer <token>`` (compared in constant
time).  No token configured → 403; no credentials → 401 with ``WWW-Authenticate``;
a wrong token → 403.

An accepted update runs in a query executor (so it has the same time budget) on a
*copy* of the current snapshot.  The copy is validated with the SHACL shapes, and
only a copy without a Violation is published as the new snapshot, which every
process then serves; otherwise the answer is ``422`` with the validation report
(JSON, Turtle or a plain-text list, by ``Accept``) and nothing changes.

``using-graph-uri``/``using-named-graph-uri`` become ``USING``/``USING NAMED`` clauses
of every ``DELETE``/``INSERT ... WHERE`` operation; combined with ``USING`` or
``WITH`` in the update they are refused (400), as the protocol requires.  ``LOAD``
and ``SERVICE`` are refused unless their host is allow-listed.
"""

from __future__ import annotations

import hmac
import json

from flask import Response, request

from ...engine.results import Outcome
from ...iris import PREFIXES
from .. import work
from ..http.conneg import JSON, PLAIN, TURTLE, negotiate
from ..http.errors import ApiError, language
from ..state import current_state
from .protocol import (
    MSG,
    Operation,
    _budget,
    _iris,
    outcome_response,
)

#: Time allowed for validation and publishing once the update itself has run.
VALIDATION_ALLOWANCE = 300.0


def authorise() -> None:
    """Raise unless the request carries the configured operator token."""
    token = current_state().config.update_token
    if not token:
        raise ApiError(403, MSG["updates_off"])
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ApiError(
            401,
            MSG["token_missing"],
            headers={"WWW-Authenticate": 'Bearer realm="kgraph SPARQL Update"'},
        )
    if not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        raise ApiError(
            403,
            MSG["token_wrong"],
            headers={"WWW-Authenticate": 'Bearer realm="kgraph SPARQL Update", '
                     'error="invalid_token"'},
        )


def run_update(operation: Operation) -> Response:
    state = current_state()
    config = state.config
    authorise()
    if not operation.text.strip():
        raise ApiError(400, MSG["empty"].format(kind="update", kind_ja="更新"))
    using = _iris(operation.params, "using-graph-uri")
    using_named = _iris(operation.params, "using-named-graph-uri")
    budget = _budget(operation.params, state)
    request.kgraph_operation_text = operation.text  # type: ignore[attr-defined]
    # The text is read (checked, USING added) only in the sandbox that runs it.
    message = {
        "op": "update",
        "text": operation.text,
        "using": using,
        "using_named": using_named,
        "allowed_hosts": config.allowed_hosts,
        "base": config.base,
        "prefixes": PREFIXES,
        "cache_dir": config.cache_dir,
    }
    header, body = work.run(state, "update", message, budget=budget,
                            on_progress=lambda note: VALIDATION_ALLOWANCE)
    if header.get("status") == 200:
        response = Response(body, status=200)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        return response
    if header.get("error") == "violation":
        report = header.get("report") if isinstance(header.get("report"), dict) else {}
        return violation_response(json.dumps(report).encode(), str(header.get("detail", "")))
    return outcome_response(Outcome.from_frame(header, body), config.max_rows)


def violation_response(report_json: bytes, report_turtle: str) -> Response:
    """422 with the validation report, as JSON, Turtle or plain text."""
    media_type = negotiate(request, [JSON, TURTLE, PLAIN])
    lang = language()
    if media_type == TURTLE:
        body = report_turtle.encode()
    elif media_type == JSON:
        data = json.loads(report_json)
        data["message"] = MSG["violation"](lang)
        body = json.dumps(data, ensure_ascii=False, indent=1).encode()
    else:
        data = json.loads(report_json)
        lines = [MSG["violation"](lang)]
        for result in data["results"]:
            if result["severity"] != "Violation":
                continue
            text = result["messages"].get(lang) or result["messages"].get("en") or next(
                iter(result["messages"].values()), ""
            )
            where = f" {result['path']}" if result.get("path") else ""
            lines.append(f"  {result['focus']}{where}: {text}")
        body = ("\n".join(lines) + "\n").encode()
    response = Response(body, status=422)
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    response.vary.add("Accept")
    return response
