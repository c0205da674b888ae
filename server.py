"""Serve the knowledge graph: ``python server.py`` (see ``--help``).

A thin entry point over :mod:`kgraph.web`.  Every flag is also an environment
variable (``KGRAPH_*``); flags win.  Both come from one table,
:mod:`kgraph.config`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kgraph.config import Config, SettingError, add_flags, env_name, from_flags, settings

EXAMPLES = """\
Examples:
  python server.py                              # shipped data on 127.0.0.1:8000
  python server.py --data my.trig --port 8080   # other RDF files
  python server.py --store /srv/kgraph/store --workers 4 --host 0.0.0.0
  python server.py --sparql-backend http://sparql.internal:7878/query --workers 4
"""


def build_parser() -> argparse.ArgumentParser:
    only_env = "\n".join(
        f"  {env_name(item):<24}{item.metadata['help']}"
        for item in settings() if not item.metadata.get("flag")
    )
    parser = argparse.ArgumentParser(
        prog="server.py",
        description="Serve the Kawasaki climate plan knowledge graph: SPARQL endpoint "
        "(/sparql), linked-data pages and dumps.",
        epilog=f"Environment variables only:\n{only_env}\n\n{EXAMPLES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flags(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = from_flags(args)
    except SettingError as error:
        parser.error(str(error))
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s",
        stream=sys.stderr,
    )

    from kgraph.service import Refused
    from kgraph.sources import UnknownFormatError
    from kgraph.web.state import AppState

    try:
        state = AppState.start(config)
    except Refused as error:
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
    problem = port_in_use(config.host, config.port)
    if problem:
        print(f"server.py: error: cannot listen on {config.host}:{config.port}: {problem}",
              file=sys.stderr)
        return 2
    # The workers serve what this process published, and share its run directory.
    config = config.replace(store=state.store_root, run_dir=state.run_dir())
    report_isolation(config)
    url = f"http://{config.host}:{config.port}/"
    print(f"kgraph: serving {url} (SPARQL endpoint {url}sparql), base {config.base}, "
          f"{config.workers} worker(s) × {config.threads} threads", file=sys.stderr)
    from kgraph.web.serve import run

    run(config)
    return 0


def port_in_use(host: str, port: int) -> str:
    """Why the address cannot be listened on, or ''.  granian shares its port with any
    other listener (SO_REUSEPORT): without this check a second server on the same
    port would silently take half of the first one's requests."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.strerror or str(error)
    return ""


def report_isolation(config: Config) -> None:
    """Say at start how the sandboxes are cut off from the network, and what that
    means for SERVICE and LOAD (a warning when they cannot be)."""
    if config.sparql_backend:
        return
    import os

    from kgraph.engine.isolation import NONE
    from kgraph.engine.sandbox import ENV_ALLOWED_HOSTS, ENV_ROLE, ENV_STORE, SandboxPool

    env = {ENV_STORE: config.store or "", ENV_ROLE: "query",
           "KGRAPH_NETWORK_ISOLATION": config.network_isolation}
    if config.allowed_hosts:
        env[ENV_ALLOWED_HOSTS] = " ".join(config.allowed_hosts)
    env.update({k: v for k, v in os.environ.items() if k in ("PATH", "PYTHONPATH")})
    probe = SandboxPool(1, env)
    try:
        answer, _ = probe.call({"op": "ping"}, budget=30.0)
    finally:
        probe.close()
    mode = str(answer.get("network", NONE))
    log = logging.getLogger("kgraph")
    if mode == NONE:
        log.warning("sandboxes cannot be cut off from the network here (no network namespace, "
                    "no seccomp): SERVICE and LOAD are refused altogether")
    else:
        allowed = " ".join(config.allowed_hosts) or "none"
        log.info("sandbox network isolation: %s; SERVICE/LOAD may reach: %s", mode, allowed)


if __name__ == "__main__":
    sys.exit(main())
