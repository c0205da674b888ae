"""The Flask application, made by a factory from a :class:`~kgraph.config.Config`.

One blueprint per concern (SPARQL protocol, linked-data pages, catalogue and
dumps, validation, query page).  Shared state (the store, the served snapshot)
lives in :class:`~kgraph.web.state.AppState`, reached with
:func:`kgraph.web.state.current_state`.  In front of the app: the configured base
instead of the client's ``Host``, and the body's deadline (:mod:`kgraph.web.wsgi`).
"""

from __future__ import annotations

import importlib

from flask import Flask
from werkzeug.routing import RequestRedirect

from ..config import Config
from .state import AppState
from .wsgi import BodyDeadline, ConfiguredHost

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
    app.register_error_handler(RequestRedirect, _relative_redirect)
    body = BodyDeadline(app.wsgi_app, config.body_timeout, app.config["MAX_CONTENT_LENGTH"])
    app.wsgi_app = ConfiguredHost(body, config.base)  # type: ignore[method-assign]
    return app


def _relative_redirect(redirect: RequestRedirect):  # type: ignore[no-untyped-def]
    """Werkzeug's own redirects (a missing trailing slash) with a relative
    ``Location``: nothing of the request's host is repeated."""
    from urllib.parse import urlsplit

    from flask import request

    response = redirect.get_response()
    parts = urlsplit(redirect.new_url)
    response.headers["Location"] = request.script_root + parts.path + (
        f"?{parts.query}" if parts.query else "")
    response.autocorrect_location_header = False
    return response


def serving_app() -> Flask:
    """The app a server worker process serves: the config from the environment
    (``server.py`` put the snapshot store it published there)."""
    from .sandboxes import query_pool

    config = Config.from_env()
    state = AppState.start(config)
    if not config.sparql_backend:
        query_pool(state)  # started before the first request needs them
    return create_app(config, state)
