"""Serve the knowledge graph: ``python server.py`` (see ``--help``).

A thin entry point over :mod:`kgraph.web`.  Every flag can also be set by an
environment variable (``KGRAPH_*``); flags win.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from kgraph.config import Config

EPILOG = """\
Environment variables only:
  KGRAPH_UPDATE_TOKEN   operator token for SPARQL Update (sent as 'Authorization:
                        Bearer <token>'); unset = updates are off. Not a flag, so
                        that it never shows in a process list.
  KGRAPH_CACHE_DIR      where validation reports are cached by content hash
  KGRAPH_MAX_UPLOAD_BYTES  size limit of uploads to the validation pages
  KGRAPH_QUERY_MEMORY_MB   memory allowance of one query's executor (default 512);
                        a query holding more is stopped with 503
  KGRAPH_SHACL_ENGINE   pyshacl (default) or turbo (pyshacl-turbo, opt-in extra
                        kgraph[turbo]; same reports, much faster on large data)

Examples:
  python server.py                              # shipped data on 127.0.0.1:8000
  python server.py --data my.trig --port 8080   # other RDF files
  python server.py --store /srv/kgraph/store --workers 4 --host 0.0.0.0
  python server.py --sparql-backend http://sparql.internal:7878/query --workers 4
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="server.py",
        description="Serve the Kawasaki climate plan knowledge graph: SPARQL endpoint "
        "(/sparql), linked-data pages and dumps.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = p.add_argument
    add("--host", help="address to listen on (env KGRAPH_HOST; default 127.0.0.1)")
    add("--port", type=int, help="port to listen on (env KGRAPH_PORT; default 8000)")
    add("--base", help="instance base IRI (env KGRAPH_BASE; default http://localhost:8000/)")
    add("--data", nargs="+", metavar="FILE",
        help="serve these RDF files instead of the shipped sources: Turtle, N-Triples, "
        "N-Quads, TriG, RDF/XML, JSON-LD; named graphs are kept (env KGRAPH_DATA, "
        "space-separated)")
    add("--store", metavar="DIR",
        help="serve an on-disk snapshot store made by `kgraph load --store DIR`, read-only; "
        "follows newly published snapshots (env KGRAPH_STORE)")
    add("--sparql-backend", metavar="URL",
        help="serve from this remote SPARQL 1.1 query endpoint instead of a local store "
        "(its default graph must be the union of its graphs); queries are forwarded, "
        "pages read through it, updates are refused (env KGRAPH_SPARQL_BACKEND)")
    add("--query-timeout", type=float, metavar="SECONDS",
        help="time budget of every query; a request may ask for less with timeout=SECONDS "
        "(env KGRAPH_QUERY_TIMEOUT; default 30)")
    add("--workers", type=int, metavar="N",
        help="N > 1 runs the production server (gunicorn) with N worker processes "
        "(env KGRAPH_WORKERS; default 1: a threaded development server)")
    add("--executors", type=int, metavar="N",
        help="query executor processes per worker (env KGRAPH_EXECUTORS; default 2)")
    add("--max-body-bytes", type=int, metavar="BYTES",
        help="largest request body accepted at /sparql; larger gets 413 "
        "(env KGRAPH_MAX_BODY_BYTES; default 1000000)")
    add("--max-rows", type=int, metavar="N",
        help="result row cap; a cut result carries the header X-SPARQL-MaxRows "
        "(env KGRAPH_MAX_ROWS; default 10000)")
    add("--cors-origins", metavar="ORIGINS",
        help="origins allowed by CORS, space- or comma-separated, or * "
        "(env KGRAPH_CORS_ORIGINS; default *)")
    add("--allowed-hosts", nargs="+", metavar="HOST",
        help="hosts that SPARQL SERVICE and LOAD may contact; none by default "
        "(env KGRAPH_ALLOWED_HOSTS)")
    add("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (env KGRAPH_LOG_LEVEL; default INFO)")
    return p


def config_from(args: argparse.Namespace) -> Config:
    config = Config.from_env()
    base = args.base
    if base and not base.endswith(("/", "#")):
        base += "/"
    return config.replace(
        host=args.host,
        port=args.port,
        base=base,
        data=args.data,
        store=args.store,
        sparql_backend=args.sparql_backend,
        query_timeout=args.query_timeout,
        workers=args.workers,
        executors=args.executors,
        max_body_bytes=args.max_body_bytes,
        max_rows=args.max_rows,
        cors_origins=args.cors_origins,
        allowed_hosts=args.allowed_hosts,
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from(args)
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from kgraph.gate import GateError
    from kgraph.sources import UnknownFormatError
    from kgraph.web import create_app
    from kgraph.web.state import AppState

    try:
        state = AppState.start(config)
    except GateError as error:
        print(f"server.py: {error}", file=sys.stderr)
        if error.report is not None:
            for result in error.report.results:
                if result.severity == "Violation":
                    where = f" {result.path}" if result.path else ""
                    print(f"  {result.focus}{where}: {result.message()}", file=sys.stderr)
        return 1
    except (UnknownFormatError, FileNotFoundError, OSError) as error:
        print(f"server.py: error: {error}", file=sys.stderr)
        return 2
    app = create_app(config, state)
    url = f"http://{config.host}:{config.port}/"
    if config.workers > 1:
        from kgraph.web.production import run

        print(f"kgraph: serving {url} with gunicorn, {config.workers} workers", file=sys.stderr)
        run(app, config)
        return 0

    from werkzeug.serving import run_simple

    # SIGTERM ends the development server like Ctrl-C: executors stopped, temporary
    # snapshot removed (gunicorn handles its own signals).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    from kgraph.web.executor import close_pools
    from kgraph.web.sparql import executor_pool

    if not config.sparql_backend:
        with app.app_context():
            executor_pool(state)
    print(f"kgraph: serving {url} (SPARQL endpoint {url}sparql)", file=sys.stderr)
    try:
        run_simple(config.host, config.port, app, threaded=True, use_reloader=False,
                   request_handler=_quiet_handler())
    finally:
        close_pools()
    return 0


def _quiet_handler():
    """Werkzeug's request handler without its version in the ``Server`` header."""
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        server_version = "kgraph"  # type: ignore[assignment]

        def version_string(self) -> str:
            return "kgraph"

    return Handler


if __name__ == "__main__":
    sys.exit(main())
