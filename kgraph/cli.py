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
from .messages import LANGS, choose, locale_language, text

#: Sub-command modules, in the order ``kgraph --help`` lists them.
COMMANDS = (
    "validate",
    "load",
    "query",
    "export",
    "export_table",
    "import_table",
    "diff",
    "staff_token",
)

EXIT_OK, EXIT_NONCONFORMANT, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    """An error the user can fix; printed without a traceback, exit code 2."""


def say(args: argparse.Namespace, key: str, **values: object) -> str:
    """A command-line message (``cli.key`` of the catalogue) in the user's language."""
    return text(f"cli.{key}", args.lang, command=getattr(args, "command", ""), **values)


def fail(args: argparse.Namespace, detail: str, code: int = 2) -> int:
    """Print an error on stderr (``kgraph COMMAND: error: detail``); the exit code."""
    print(say(args, "error", detail=detail), file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kgraph",
        description="Kawasaki climate plan knowledge graph: validate, load, query, export.",
    )
    parser.add_argument(
        "--base", help="instance base IRI (default: $KGRAPH_BASE or http://localhost:8000/)"
    )
    # Every sub-command takes --lang (after its name, as before).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=LANGS, default=None,
                        help=text("cli.lang_help", "en"))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    original = sub.add_parser

    def add_parser(name: str, **kwargs: object) -> argparse.ArgumentParser:
        return original(name, parents=[common], **kwargs)  # type: ignore[arg-type]

    sub.add_parser = add_parser  # type: ignore[method-assign]
    for name in COMMANDS:
        module = importlib.import_module(f"kgraph.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The one rule: --lang, else the locale (ja_* Japanese, else English), else Japanese.
    args.lang = choose(args.lang, locale=locale_language())
    config = Config.from_env()
    if args.base:
        config = config.replace(base=args.base)
    try:
        return int(args.run(args, config) or 0)
    except CliError as error:
        return fail(args, str(error))
    except OSError as error:  # an output path that cannot be written, a full disk ...
        where = f"{error.filename}: " if error.filename else ""
        return fail(args, f"{where}{error.strerror or error}")
    except KeyboardInterrupt:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
