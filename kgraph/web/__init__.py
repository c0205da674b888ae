"""The Flask application, made by a factory from a :class:`~kgraph.config.Config`.

``web/`` is split by concern: ``sparql/`` the protocol, ``pages/`` what people and
harvesters read, ``http/`` what every answer shares (errors, negotiation, language,
security headers, the access log, fair sharing, the RSGI front); app-wide hooks
are registered here, by the factory.  Shared state (the store, the served snapshot)
lives in :class:`~kgraph.web.state.AppState`, reached with
:func:`kgraph.web.state.current_state`.  In front of the app: the configured base
instead of the client's ``Host`` (:mod:`kgraph.web.http.host`); in front of that, the
RSGI adapter that reads bodies without a thread (:mod:`kgraph.web.http.front`).
"""

from __future__ import annotations

import functools
import importlib

from flask import Flask

from ..config import Config
from .http import accesslog, caching, errors
from .http.host import ConfiguredHost
from .state import AppState

#: Blueprint modules; each exposes ``bp`` (a flask.Blueprint).
BLUEPRINTS: tuple[str, ...] = (
    "pages.health",
    "http.language",
    "pages.linkeddata",
    "pages.browse",
    "pages.graphs",
    "sparql.protocol",
    "pages.catalog",
    "pages.dumps",
    "pages.ontology_docs",
    "pages.jsonld_context",
    "pages.home",
    "pages.assets",
    "pages.query_page",
    "pages.search_page",
    "pages.plan_page",
    "pages.validation_pages",
    "staff.routes",
    "http.security",
)


def create_app(config: Config | None = None, state: AppState | None = None) -> Flask:
    """Build the WSGI application.  ``state`` may be given by tests or the server."""
    config = config or Config.from_env()
    app = Flask("kgraph", template_folder="templates", static_folder="static")
    app.extensions["kgraph"] = state or AppState.start(config)
    errors.install(app)  # every answer's errors, in the reader's language
    accesslog.install(app)  # one line per request
    caching.install(app)  # conditional GET on every page and RDF answer
    for name in BLUEPRINTS:
        module = importlib.import_module(f"kgraph.web.{name}")
        app.register_blueprint(module.bp)
    app.after_request(_relative_redirect)
    # The client's address behind proxies is read by the front (kgraph.web.http.clients).
    app.wsgi_app = ConfiguredHost(app.wsgi_app, config.base)  # type: ignore[method-assign]
    return app


def _relative_redirect(response):  # type: ignore[no-untyped-def]
    """Werkzeug's own redirects (a missing trailing slash, merged slashes) with a
    relative ``Location``: a redirect never names a host."""
    from urllib.parse import urlsplit

    location = response.headers.get("Location")
    if location and 300 <= response.status_code < 400 and "://" in location:
        parts = urlsplit(location)
        response.headers["Location"] = (parts.path or "/") + (
            f"?{parts.query}" if parts.query else "")
        response.autocorrect_location_header = False
    return response


def serving_app():  # type: ignore[no-untyped-def]
    """What a server worker process serves (RSGI, see :mod:`kgraph.web.http.front`): the
    config from the environment, where ``server.py`` put the snapshot store it
    published."""
    from ..orphans import die_with_parent
    from .http.front import RSGIFront
    from .http.security import body_limit

    die_with_parent()  # a worker never outlives the server's main process
    config = Config.from_env()
    state = AppState.start(config)
    state.backend.start()  # sandboxes ready before the first request needs them
    app = create_app(config, state)
    return RSGIFront(app, threads=config.threads, body_timeout=config.body_timeout,
                     body_limit=functools.partial(body_limit, config), spool=state.spool,
                     proxy_hops=config.proxy_hops)
