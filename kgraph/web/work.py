"""The web layer's one door to the backend's work: queries, updates, validations.

Every piece of work a client asks for goes through :func:`query` or :func:`run`,
which hold the client's fair-share slot (:mod:`kgraph.web.http.fairness`), hand the work
to the backend (:mod:`kgraph.engine.backend`: a sandbox, or a remote engine) and
turn each way it can fail into an answer in the client's language: over its time
budget or memory allowance 503; nothing free 503 with ``Retry-After``; a sandbox
that crashed on the input 422 (nothing changed, nothing else affected); a remote
engine that fails 502, one that is down 503; what the backend cannot do 501.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import request

from ..engine.backend import NotSupported
from ..engine.remote import BackendError, BackendTimeout, BackendUnavailable
from ..engine.results import Outcome
from ..engine.sandbox import BudgetExceeded, MemoryExceeded, PoolBusy, SandboxCrashed
from ..messages import Group
from .http.errors import STATUS_MESSAGES, ApiError
from .state import AppState

log = logging.getLogger("kgraph.work")

MSG = Group("work")

WORK = {
    "query": ("query", "クエリ"),
    "update": ("update", "更新"),
    "validation": ("validation", "検証"),
}


def client() -> str:
    """Who sent the request (:mod:`kgraph.web.http.clients`: the front read it once)."""
    return request.remote_addr or "-"


@dataclass
class Answer:
    """A backend's outcome, and what frees the client's slot once it has been sent
    (an answer held for a client that does not read it still counts as running)."""

    outcome: Outcome
    release: Callable[[], None]


def query(state: AppState, message: Mapping[str, Any], budget: float) -> Answer:
    """A protocol query, answered by the backend."""
    held = state.fairness.take(client(), "query")
    try:
        with _answers("query", budget):
            return Answer(state.backend.query(message, budget), held.release)
    except BaseException:
        held.release()
        raise


def run(
    state: AppState,
    kind: str,
    header: Mapping[str, Any],
    payload: bytes = b"",
    *,
    budget: float,
    on_progress: Callable[[dict[str, Any]], float | None] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """An update or a validation (``kind``), done by the backend."""
    slot = "validation" if kind == "validation" else "query"
    with state.fairness.slot(client(), slot), _answers(kind, budget):
        return state.backend.work(kind, header, payload, budget, on_progress)


class _answers:
    """Turn the backend's failures into answers (a context manager)."""

    def __init__(self, kind: str, budget: float) -> None:
        self.kind, self.budget = kind, budget

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind_, error, traceback) -> bool:  # type: ignore[no-untyped-def]
        if error is None:
            return False
        work, work_ja = WORK[self.kind]
        if isinstance(error, BudgetExceeded | BackendTimeout):
            budget = error.budget if isinstance(error, BudgetExceeded) else self.budget
            raise ApiError(503, MSG["budget"].format(
                work=work, work_ja=work_ja, budget=f"{budget:g}")) from None
        if isinstance(error, MemoryExceeded):
            raise ApiError(503, MSG["memory"].format(
                work=work, work_ja=work_ja, limit=error.limit >> 20)) from None
        if isinstance(error, PoolBusy):
            raise ApiError(503, MSG["busy"].format(budget=f"{error.budget:g}"),
                           headers={"Retry-After": "1"}) from None
        if isinstance(error, SandboxCrashed):
            log.warning("a sandbox stopped on a %s: %s", work, error)
            raise ApiError(422, MSG["crashed"].format(work=work, work_ja=work_ja)) from None
        if isinstance(error, BackendUnavailable):
            raise ApiError(503, MSG["backend_down"], headers={"Retry-After": "10"},
                           cause=str(error)) from None
        if isinstance(error, BackendError):
            raise ApiError(502, MSG["backend_failed"], cause=str(error)) from None
        if isinstance(error, NotSupported):
            what = {"update": ("Updating", "更新"), "validation": (
                "Validating uploads", "アップロードの検証")}.get(self.kind, (work, work_ja))
            raise ApiError(501, MSG["not_supported"].format(
                what=what[0], what_ja=what[1])) from None
        return False


def unreadable(header: Mapping[str, Any], error: Exception | None = None) -> ApiError:
    """The answer to a sandbox's failure that is not the input's fault."""
    if header.get("error") == "memory":
        return ApiError(503, MSG["memory"].format(work="validation", work_ja="検証", limit="?"))
    detail = f"{header.get('error')}: {header.get('detail')}" + (f" ({error})" if error else "")
    return ApiError(500, STATUS_MESSAGES[500], cause=f"sandbox answered {detail}")
