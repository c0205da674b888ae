"""``/health``: answers while the server is up, with what it serves."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .state import current_state

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    state = current_state()
    return jsonify(status="ok", snapshot=state.snapshot_id, base=state.config.base)
