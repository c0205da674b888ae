"""``kgraph load``: validate, then publish into an on-disk store (atomically)."""

from __future__ import annotations

import argparse
import sys

from ..cli import EXIT_ERROR, EXIT_NONCONFORMANT, EXIT_OK, fail, say
from ..config import Config
from ..service import Refused, from_files, publish, refuse_unless_conforming, validate, writing
from ..sources import UnknownFormatError, sources_for_files


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "load",
        help="validate and load data into a store; refused data leaves the store as it was",
    )
    p.add_argument("files", nargs="*", help="RDF files to load (default: the shipped data)")
    p.add_argument("--store", help="on-disk store directory (default: $KGRAPH_STORE; else memory)")
    p.add_argument("--no-cache", action="store_true", help="re-validate even if cached")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, config: Config) -> int:
    config = config.replace(store=args.store)
    try:
        sources = sources_for_files(args.files, config.base) if args.files else None
        candidate = from_files(config, sources)
        if not config.store:
            checked = validate(config, candidate, use_cache=not args.no_cache)
            refuse_unless_conforming(checked)
            print(say(args, "validated", n=len(checked.quads),
                      warnings=checked.report.count("Warning")))
            return EXIT_OK
        # Validated and published under the writer lock: against what is published.
        with writing(config.store) as published:
            checked = validate(config, candidate, published, use_cache=not args.no_cache)
            path = publish(config.store, checked, published)
    except UnknownFormatError as error:
        return fail(args, str(error))
    except Refused as error:
        if error.report is None:
            return fail(args, str(error))
        print(say(args, "error", detail=say(args, "refused",
                                           n=error.report.count("Violation"))), file=sys.stderr)
        for focus, results in error.report.by_focus().items():
            for r in results:
                if r.severity == "Violation":
                    where = f" {r.path}" if r.path else ""
                    print(f"  {focus}{where}: {r.message(args.lang)}", file=sys.stderr)
        print(say(args, "nothing_changed"), file=sys.stderr)
        return EXIT_NONCONFORMANT
    except OSError as error:  # a full disk, a read-only or missing directory
        fail(args, say(args, "cannot_write", store=config.store,
                       reason=error.strerror or error))
        print(say(args, "nothing_changed"), file=sys.stderr)
        return EXIT_ERROR
    print(say(args, "loaded", n=len(checked.quads), path=path,
              warnings=checked.report.count("Warning")))
    return EXIT_OK
