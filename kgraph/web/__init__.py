"""The Flask application, made by a factory from a :class:`~kgraph.config.Config`.

One blueprint per concern (SPARQL protocol, linked-data pages, catalogue and
dumps, validation, query page).  Shared state (the store, the validation report of
the served data) lives in :class:`~kgraph.web.state.AppState`, reached with
:func:`kgraph.web.state.current_state`.
"""

from __future__ import annotations

import importlib

from flask import Flask

from ..config import Config
from .state import AppState

#: Blueprint modules; each exposes ``bp`` (a flask.Blueprint).
BLUEPRINTS: tuple[str, ...] = (
    "health",
    "i18n",
    "linkeddata",
    "sparql",
    "catalog",
    "dumps",
    "ontology_docs",
    "home",
    "assets",
    "query_page",
    "search_page",
    "plan_page",
    "validation_pages",
    "security",
)


def create_app(config: Config | None = None, state: AppState | None = None) -> Flask:
    """Build the WSGI application.  ``state`` may be given by tests or the server."""
    config = config or Config.from_env()
    app = Flask("kgraph", template_folder="templates", static_folder="static")
    app.config["MAX_CONTENT_LENGTH"] = max(config.max_body_bytes, config.max_upload_bytes)
    app.extensions["kgraph"] = state or AppState.start(config)
    for name in BLUEPRINTS:
        module = importlib.import_module(f"kgraph.web.{name}")
        app.register_blueprint(module.bp)
    return app
