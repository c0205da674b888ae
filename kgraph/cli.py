"""The ``kgraph`` command: one sub-command per module in :mod:`kgraph.commands`.

Exit codes follow pySHACL's CLI: 0 success (data conforms), 1 the data does not
conform or was refused, 2 an error (bad arguments, unreadable file, bad query).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .config import Config

#: Sub-command modules, in the order ``kgraph --help`` lists them.
COMMANDS = (
    "validate",
    "load",
    "query",
    "export",
    "export_table",
    "import_table",
    "diff",
)

EXIT_OK, EXIT_NONCONFORMANT, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    """An error the user can fix; printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kgraph",
        description="Kawasaki climate plan knowledge graph: validate, load, query, export.",
    )
    parser.add_argument(
        "--base", help="instance base IRI (default: $KGRAPH_BASE or http://localhost:8000/)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"kgraph.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = Config.from_env()
    if args.base:
        config = config.replace(base=args.base)
    try:
        return int(args.run(args, config) or 0)
    except CliError as error:
        print(f"kgraph {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:  # an output path that cannot be written, a full disk ...
        where = f"{error.filename}: " if error.filename else ""
        print(f"kgraph {args.command}: error: {where}{error.strerror or error}",
              file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
