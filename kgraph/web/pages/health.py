"""``/health``: whether the server can serve, what it serves, and how safely.

``network_isolation`` is the mode of the engine that runs SPARQL ``SERVICE`` and
``LOAD`` (:mod:`kgraph.engine.isolation`); ``service_and_load`` says what they may do:
``refused`` (no host allowed), ``allow-listed hosts only``, or ``refused: no
isolation available`` (the server then refuses every text that could name a remote
target, and says so at start).  When the backend cannot serve (a remote engine that
is down), the answer is 503 with the reason.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ...engine import isolation
from ..state import AppState, current_state

bp = Blueprint("health", __name__)


def remote_policy(state: AppState) -> tuple[str, str]:
    """(isolation mode, what SERVICE and LOAD may do)."""
    mode = state.backend.network()
    if mode == isolation.NONE:
        return mode, "refused: no isolation available"
    return mode, "allow-listed hosts only" if state.config.allowed_hosts else "refused"


@bp.get("/health")
def health():
    state = current_state()
    problem = state.backend.problem()
    if problem is not None:
        response = jsonify(status="unavailable", problem=problem, base=state.config.base)
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response
    mode, policy = remote_policy(state)
    return jsonify(status="ok", snapshot=state.snapshot_id, base=state.config.base,
                   network_isolation=mode, service_and_load=policy)
