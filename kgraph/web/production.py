"""The production server: gunicorn with N workers, embedded (``server.py --workers N``).

The application is built once in gunicorn's master (the data validated and
published into the snapshot store once), then the workers are forked.  Each worker
opens the snapshot read-only on its first request and starts its own query
executors (so nothing that holds threads or file handles crosses the fork).

Workers are ``gthread`` workers: a request waiting for a query executor holds a
thread, not the whole worker, so a slow query never stops a worker from answering
others.  Their sockets have a read/write timeout (:mod:`kgraph.web.slowclients`),
so that a client that stalls in the middle of a request does not hold a thread for
ever.  gunicorn's access log is off (see :mod:`kgraph.web.accesslog`).

The equivalent command line, for operators who prefer to run gunicorn directly::

    KGRAPH_STORE=/srv/kgraph/store gunicorn -w 4 -k kgraph.web.slowclients.Worker \\
        --threads 8 --preload -b 0.0.0.0:8000 'kgraph.web:create_app()'
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from ..config import Config
from .state import AppState


class Production(BaseApplication):
    """gunicorn running one already-built Flask application."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        assert self.cfg is not None
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def options(config: Config) -> dict[str, Any]:
    """gunicorn settings derived from the config."""
    return {
        "bind": f"[{config.host}]:{config.port}" if ":" in config.host else
        f"{config.host}:{config.port}",
        "workers": config.workers,
        "worker_class": "kgraph.web.slowclients.Worker",
        "threads": max(4, 2 * config.executors),
        "timeout": int(config.query_timeout) + 60,
        "graceful_timeout": 10,
        "preload_app": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": config.log_level.lower(),
        "post_worker_init": _warm_worker,
        "proc_name": "kgraph",
    }


def _warm_worker(worker: Any) -> None:
    """Start this worker's query executors before its first request."""
    from .sparql import executor_pool

    app: Flask = worker.wsgi
    state = app.extensions["kgraph"]
    if state.config.sparql_backend:  # queries go to the backend: no local executors
        return
    with app.app_context():
        executor_pool(state)


def run(app: Flask, config: Config) -> None:
    """Serve ``app`` with gunicorn until it is stopped."""
    Production(app, options(config)).run()


def state_of(app: Flask) -> AppState:
    return app.extensions["kgraph"]
