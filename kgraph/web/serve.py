"""The production HTTP server in every mode: granian (a Rust HTTP server), over RSGI.

Chosen by measurement: the same app answered a one-entry SPARQL lookup 1.55–1.83×
faster under granian than under gunicorn's threaded workers, two workers each
(wrk, 8 connections, issue 12); and it cuts slow clients itself: a request head
must arrive whole within ``--header-timeout`` (a deadline, not a per-read
timeout, so trickling one byte at a time does not help), and the connection is
never handed to Python before that.  Bodies are read by
:class:`kgraph.web.http.front.RSGIFront` on the event loop, within ``--body-timeout``.

``python server.py`` validates and publishes the data once, in this process, then
granian starts ``--workers`` worker processes, each serving
:func:`kgraph.web.serving_app` with ``--threads`` request threads and its own
sandboxes.  A worker that dies is started again.
"""

from __future__ import annotations

import os

from ..config import Config


def run(config: Config) -> None:
    """Serve until stopped (SIGINT or SIGTERM)."""
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    os.environ.update(config.to_env())  # the workers read their config from here
    _raise_open_files(config.connections * config.workers + 1024)
    Server(
        "kgraph.web:serving_app",
        factory=True,
        address=config.host,
        port=config.port,
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,
        workers=config.workers,
        backlog=config.connections,
        backpressure=config.connections,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=int(config.header_timeout * 1000)),
        log_enabled=True,
        log_level=_log_level(config.log_level),
        log_access=False,  # one access log line per request, by kgraph.web.http.accesslog
        respawn_failed_workers=True,
        respawn_interval=1.0,
        workers_kill_timeout=10,
    ).serve()


def _raise_open_files(wanted: int) -> None:
    """Each connection is a file: allow as many as the hard limit lets (a slow
    client holds one until its deadline, and a low limit would let few do that)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _log_level(name: str):  # type: ignore[no-untyped-def]
    from granian.log import LogLevels

    return {"DEBUG": LogLevels.debug, "WARNING": LogLevels.warning,
            "ERROR": LogLevels.error}.get(name.upper(), LogLevels.info)
