"""``/health``: answers while the server is up, with what it serves and how safely.

``network_isolation`` is the mode of the query sandboxes
(:mod:`kgraph.engine.isolation`); ``service_and_load`` says what SPARQL ``SERVICE``
and ``LOAD`` may do on this server: ``refused`` (no host allowed),
``allow-listed hosts only``, or ``refused: no isolation available`` when the
sandboxes could not be cut off from the network (the server then refuses every
text that could name a remote target, and says so at start).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..engine import isolation
from . import sandboxes
from .state import current_state

bp = Blueprint("health", __name__)


def remote_policy(state) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(isolation mode, what SERVICE and LOAD may do)."""
    if state.config.sparql_backend:
        mode = "remote backend"
        contained = bool(state.config.allowed_hosts)
    else:
        mode = sandboxes.network_mode(state)
        contained = mode != isolation.NONE
    if not contained:
        return mode, "refused: no isolation available"
    return mode, "allow-listed hosts only" if state.config.allowed_hosts else "refused"


@bp.get("/health")
def health():
    state = current_state()
    mode, policy = remote_policy(state)
    return jsonify(status="ok", snapshot=state.snapshot_id, base=state.config.base,
                   network_isolation=mode, service_and_load=policy)
